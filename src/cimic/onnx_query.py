"""ONNX Runtime for the query encoder: the same weights, exported once, checked against PyTorch.

Encoding the question is nearly all of a question's cost; ONNX Runtime runs all-MiniLM-L6-v2 for
one short question about three times faster than PyTorch on these CPUs. The export is made from the
loaded PyTorch model at index time, kept in index/onnx/ under the model's fingerprint, and used only
if its vectors match PyTorch's (cosine ≥ 0.9999 on check texts) and its file matches its recorded
SHA-256. Anything missing or wrong: PyTorch answers, as before.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from pathlib import Path

import numpy as np

log = logging.getLogger("cimic")

MIN_COSINE = 0.9999
CHECK_TEXTS = [
    "What is civil-military cooperation?",
    "Which five areas does NATO's approach to human security encompass?",
    "and in peacetime?",
    "Qu'est-ce que la coopération civilo-militaire ? 🙂",
    "word " * 300,  # truncated at the model's maximum length
]
INPUTS = ("input_ids", "attention_mask", "token_type_ids")


def available() -> bool:
    """Whether onnxruntime and onnx are installed."""
    try:
        import onnx  # noqa: F401
        import onnxruntime  # noqa: F401
    except ImportError:
        return False
    return True


def _paths(index_dir: Path, fingerprint: str) -> tuple[Path, Path]:
    base = Path(index_dir) / "onnx" / f"query-{fingerprint}"
    return base.with_suffix(".onnx"), base.with_suffix(".json")


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


class OnnxQuery:
    """One question in, its normalised mean-pooled embedding out, through ONNX Runtime."""

    def __init__(self, path: Path, tokenizer, max_len: int):
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads = max(1, min(4, os.cpu_count() or 1))
        self._session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        self._names = {i.name for i in self._session.get_inputs()}
        self._tokenizer = tokenizer
        self._max_len = max_len

    def encode(self, text: str) -> np.ndarray:
        """Normalised float32 vector of one text."""
        enc = self._tokenizer(
            [text], truncation=True, max_length=self._max_len, return_tensors="np"
        )
        feed = {k: enc[k].astype(np.int64) for k in INPUTS if k in self._names and k in enc}
        vec = self._session.run(None, feed)[0][0].astype(np.float32)
        return vec / max(float(np.linalg.norm(vec)), 1e-12)


def agreement(onnx: OnnxQuery, reference) -> float:
    """Lowest cosine between ONNX and reference vectors over the check texts."""
    return min(float(onnx.encode(t) @ reference(t)) for t in CHECK_TEXTS)


def export(
    index_dir: Path, fingerprint: str, model, tokenizer, max_len: int, reference
) -> Path | None:
    """Export the query encoder once per model; returns the verified file, or None."""
    onnx_path, meta_path = _paths(index_dir, fingerprint)
    if onnx_path.exists() and meta_path.exists():
        return onnx_path
    import torch

    class Pooled(torch.nn.Module):
        def __init__(self, inner):
            super().__init__()
            self.inner = inner

        def forward(self, input_ids, attention_mask, token_type_ids):
            hidden = self.inner(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            ).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
            return (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)

    onnx_path.parent.mkdir(parents=True, exist_ok=True)
    tmp = onnx_path.with_suffix(f".tmp{os.getpid()}")
    try:
        sample = tokenizer(["What is CIMIC?"], return_tensors="pt")
        args = tuple(
            sample[k] if k in sample else torch.zeros_like(sample["input_ids"]) for k in INPUTS
        )
        axes = {k: {0: "batch", 1: "tokens"} for k in INPUTS}
        import warnings

        with warnings.catch_warnings(), torch.inference_mode(False), torch.no_grad():
            warnings.simplefilter("ignore")
            torch.onnx.export(
                Pooled(model).eval(),
                args,
                str(tmp),
                input_names=list(INPUTS),
                output_names=["embedding"],
                dynamic_axes=axes,
                opset_version=17,
                dynamo=False,
            )
        cos = agreement(OnnxQuery(tmp, tokenizer, max_len), reference)
        if cos < MIN_COSINE:
            log.warning("ONNX export disagrees with PyTorch (cosine %.6f); PyTorch stays", cos)
            tmp.unlink(missing_ok=True)
            return None
        os.replace(tmp, onnx_path)
        meta_path.write_text(
            json.dumps({"sha256": _sha256(onnx_path), "min_cosine": cos}), encoding="utf-8"
        )
        return onnx_path
    except Exception as exc:  # noqa: BLE001 - the export is an optimisation; PyTorch stays
        log.warning("ONNX export failed (%s); PyTorch stays", exc)
        tmp.unlink(missing_ok=True)
        return None


def load(index_dir: Path, fingerprint: str, tokenizer, max_len: int) -> OnnxQuery | None:
    """The verified ONNX query encoder for this model, or None (then PyTorch answers)."""
    onnx_path, meta_path = _paths(index_dir, fingerprint)
    if not (available() and onnx_path.exists() and meta_path.exists()):
        return None
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        if meta.get("sha256") != _sha256(onnx_path):
            log.warning(
                "%s fails its checksum; PyTorch answers (run `cimic index` to re-export)", onnx_path
            )
            return None
        return OnnxQuery(onnx_path, tokenizer, max_len)
    except Exception as exc:  # noqa: BLE001
        log.warning("cannot load %s (%s); PyTorch answers", onnx_path, exc)
        return None
