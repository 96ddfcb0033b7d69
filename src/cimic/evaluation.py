"""Figures on a question file in the format of ../shared/eval/dev.jsonl: hit@k, MRR@5, abstention."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from .documents import load_catalog
from .errors import CimicError
from .types import Answer

KS = (1, 3, 5)


def fold(text: str) -> str:
    """Runs of whitespace folded to one space, as the evaluation compares text."""
    return re.sub(r"\s+", " ", text).strip()


@dataclass(frozen=True)
class Outcome:
    """One question's result."""

    id: str
    kind: str
    question: str
    query: str
    rank: int | None  # 1-based rank of the first answering passage, None when none
    abstained: bool

    @property
    def answerable(self) -> bool:
        return self.kind != "out_of_scope"


def read_questions(path: str | Path) -> list[dict]:
    """Questions from a JSONL file; CimicError naming the line when one is malformed."""
    items = []
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise CimicError(f"cannot read {path}: {exc.strerror}") from None
    for n, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
            item["question"], item.setdefault("kind", "lexical"), item.setdefault("evidence", [])
        except (ValueError, KeyError, TypeError):
            raise CimicError(
                f"{path}:{n} is not a question object with a 'question' field"
            ) from None
        items.append(item)
    return items


def answering_rank(answer: Answer, evidence: list[dict], aliases: dict[str, str]) -> int | None:
    """1-based rank of the first passage containing one of the evidence strings of its document."""
    wanted = [(aliases.get(e.get("doc", ""), e.get("doc")), fold(e["text"])) for e in evidence]
    for rank, p in enumerate(answer.passages, start=1):
        text = fold(p.text)
        if any(
            t in text and (doc is None or doc == p.doc or doc not in aliases.values())
            for doc, t in wanted
        ):
            return rank
    return None


def evaluate(assistant, items: Iterable[dict], corpus_dir: Path, k: int = 5) -> list[Outcome]:
    """Ask every question (with its history) and record where the evidence ranked."""
    catalog = load_catalog(Path(corpus_dir))
    aliases = {m["received_as"]: doc for doc, m in catalog.items() if m.get("received_as")}
    out = []
    for item in items:
        answer = assistant.ask(item["question"], history=item.get("history") or [], k=k)
        rank = answering_rank(answer, item["evidence"], aliases) if item["evidence"] else None
        out.append(
            Outcome(
                item.get("id", ""),
                item["kind"],
                item["question"],
                answer.query,
                rank,
                answer.abstained,
            )
        )
    return out


def _rate(xs: list[bool]) -> float | None:
    return round(sum(xs) / len(xs), 3) if xs else None


def figures(outcomes: list[Outcome]) -> dict:
    """hit@1/3/5, MRR@5 and false abstention over answerable questions, abstention on out-of-scope."""

    def block(sub: list[Outcome]) -> dict:
        ans = [o for o in sub if o.answerable]
        oos = [o for o in sub if not o.answerable]
        d: dict = {"questions": len(sub)}
        if ans:
            for k in KS:
                d[f"hit@{k}"] = _rate([o.rank is not None and o.rank <= k for o in ans])
            d["mrr@5"] = round(sum(1 / o.rank for o in ans if o.rank and o.rank <= 5) / len(ans), 3)
            d["false_abstention"] = _rate([o.abstained for o in ans])
        if oos:
            d["abstention"] = _rate([o.abstained for o in oos])
        return d

    kinds = sorted({o.kind for o in outcomes})
    core = [o for o in outcomes if o.kind not in ("follow_up", "out_of_scope")]
    return {
        "answerable": block([o for o in outcomes if o.answerable]),
        "core (not follow-up, not out-of-scope)": block(core),
        "out_of_scope": block([o for o in outcomes if not o.answerable]),
        "by_kind": {kind: block([o for o in outcomes if o.kind == kind]) for kind in kinds},
        "misses": [
            {
                "id": o.id,
                "kind": o.kind,
                "question": o.question,
                "query": o.query,
                "rank": o.rank,
                "abstained": o.abstained,
            }
            for o in outcomes
            if (o.answerable and (o.rank is None or o.abstained))
            or (not o.answerable and not o.abstained)
        ],
    }


def format_figures(f: dict) -> str:
    """Readable table of the figures."""
    cols = ["questions", "hit@1", "hit@3", "hit@5", "mrr@5", "false_abstention", "abstention"]
    rows = [
        (name, f[name])
        for name in ("answerable", "core (not follow-up, not out-of-scope)", "out_of_scope")
    ]
    rows += [(f"  {kind}", b) for kind, b in f["by_kind"].items()]
    width = max(len(r[0]) for r in rows) + 2
    lines = ["".ljust(width) + "".join(c.rjust(17) for c in cols)]
    for name, b in rows:
        lines.append(name.ljust(width) + "".join(str(b.get(c, "-")).rjust(17) for c in cols))
    lines.append("")
    lines.append(f"misses ({len(f['misses'])}):")
    for m in f["misses"]:
        why = (
            "answered"
            if m["kind"] == "out_of_scope"
            else ("abstained" if m["abstained"] else "not in top 5")
        )
        lines.append(f"  {m['id']} [{m['kind']}] {why}: {m['question']}")
        if m["query"] != m["question"]:
            lines.append(f"      searched for: {m['query']}")
    return "\n".join(lines)
