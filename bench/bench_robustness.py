"""Spelling variants and typos: does the hybrid search keep the answers the dense side finds?

Rewrites every answerable dev question three ways (British spellings, American spellings, one
transposition typo in its longest content word) and prints hit@5 / MRR@5 for the hybrid search,
the dense side alone and the lexical side alone. Run with `make bench`.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

ROOT = Path(__file__).resolve().parents[1]
DEV = ROOT.parent / "shared" / "eval" / "dev.jsonl"

TO_US = [
    (r"(\w{3,})is(e|es|ed|ing|ation|ations)\b", r"\1iz\2"),
    (r"(\w{2,})ys(e|es|ed|ing)\b", r"\1yz\2"),
    (r"\b(\w*)fence\b", r"\1fense"),
    (r"\bcentre", "center"),
    (r"\bprogramme", "program"),
    (r"(\w{3,})our\b", r"\1or"),
    (r"\b([Aa])dviser", r"\1dvisor"),
]
TO_UK = [
    (r"(\w{3,})iz(e|es|ed|ing|ation|ations)\b", r"\1is\2"),
    (r"(\w{2,})yz(e|es|ed|ing)\b", r"\1ys\2"),
    (r"\b(\w*)fense\b", r"\1fence"),
    (r"\bcenter", "centre"),
    (r"\bprogram\b", "programme"),
    (r"\b([Aa])dvisor", r"\1dviser"),
]


def respell(text: str, rules) -> str:
    for pattern, repl in rules:
        text = re.sub(pattern, repl, text)
    return text


def typo(text: str) -> str:
    """Swap two adjacent letters in the middle of the longest word (deterministic)."""
    words = re.findall(r"[A-Za-z]{6,}", text)
    if not words:
        return text
    w = max(words, key=len)
    i = len(w) // 2
    return text.replace(w, w[: i - 1] + w[i] + w[i - 1] + w[i + 1 :], 1)


def main() -> None:
    from cimic import Assistant
    from cimic.abstention import AbstentionModel
    from cimic.evaluation import decide, evaluate, figures

    items = [json.loads(x) for x in DEV.read_text(encoding="utf-8").splitlines() if x.strip()]
    items = [i for i in items if i["evidence"]]
    variants = {
        "as asked": items,
        "British spellings": [{**i, "question": respell(i["question"], TO_UK)} for i in items],
        "American spellings": [{**i, "question": respell(i["question"], TO_US)} for i in items],
        "one typo": [{**i, "question": typo(i["question"])} for i in items],
    }
    changed = {
        k: sum(a["question"] != b["question"] for a, b in zip(v, items, strict=True))
        for k, v in variants.items()
    }
    with tempfile.TemporaryDirectory() as tmp:
        assistant = Assistant.open(ROOT / "corpus", Path(tmp) / "index")
        model = AbstentionModel.load()  # the shipped decision, as `cimic eval` applies it
        print(
            f"{len(items)} answerable dev questions; hit@5 / MRR@5 (abstentions count as misses)\n"
        )
        print(
            f"{'variant':20}{'changed':>9}"
            + "".join(f"{m:>18}" for m in ("hybrid", "dense only", "lexical only"))
        )
        for name, qs in variants.items():
            row = f"{name:20}{changed[name]:>9}"
            for mode in ("weighted", "dense", "lexical"):
                assistant.fusion = mode
                outcomes = evaluate(assistant, qs, ROOT / "corpus")
                f = figures(outcomes, decide(outcomes, model))["answerable"]
                row += f"{f['hit@5']:>10} / {f['mrr@5']:<6}"
            print(row)


if __name__ == "__main__":
    main()
