"""Figures on a question file in the format of ../shared/eval/dev.jsonl: hit@k, MRR@5, abstention.

Every question is asked once; its ranking and its abstention evidence are kept, so the decision can
be replayed under another model: the shipped one, or one refitted without a document's questions
(leave-one-document-out). Questions fall into a tuning and a held-out half by a seeded hash of
their id, fixed once: models and choices are fitted on the tuning half only.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from .abstention import AbstentionModel, Evidence
from .answer import DUPLICATE_DEPTH, build_answer
from .documents import load_catalog
from .errors import CimicError
from .types import Answer

KS = (1, 3, 5)
SPLIT_SEED = "cimic-eval-split-v1"  # changing it re-deals the halves: never do, once fitted on
TUNING, HELD_OUT = "tuning", "held_out"
CURVE = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)


def split_of(question_id: str) -> str:
    """The half a question belongs to, fixed by a seeded hash of its id."""
    digest = hashlib.sha256(f"{SPLIT_SEED}:{question_id}".encode()).digest()
    return TUNING if digest[0] < 128 else HELD_OUT


def fold(text: str) -> str:
    """Runs of whitespace folded to one space, as the evaluation compares text."""
    return re.sub(r"\s+", " ", text).strip()


@dataclass(frozen=True)
class Outcome:
    """One question's result: where its evidence ranked, and the evidence of the decision."""

    id: str
    kind: str
    question: str
    query: str
    rank: int | None  # 1-based rank of the first answering passage, None when none
    about: str | None  # the document the question is about (corpus name), for leave-one-out
    split: str
    evidence: Evidence
    answer_type: str | None = None

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


def answering_rank(
    answer: Answer,
    evidence: list[dict],
    aliases: dict[str, str],
    restated: Mapping[tuple[str, int, int], str] | None = None,
) -> int | None:
    """1-based rank of the first passage containing one of the evidence strings of its document.

    A passage shown for a group of restatements answers with its members too: `restated` maps
    an `also_in` span (doc, start, end) to its text ("The joint functions framework assists
    commanders to integrate …" is shown as the longer entry that says "The joint function
    framework assists commanders in integrating …", cited as also in the other place).
    """
    wanted = [(aliases.get(e.get("doc", ""), e.get("doc")), fold(e["text"])) for e in evidence]
    for rank, p in enumerate(answer.passages, start=1):
        places = [(p.doc, p.text)] + [
            (span[0], (restated or {}).get(span, "")) for span in p.also_in
        ]
        for place_doc, place_text in places:
            text = fold(place_text)
            if any(
                t in text and (doc is None or doc == place_doc or doc not in aliases.values())
                for doc, t in wanted
            ):
                return rank
    return None


def evaluate(assistant, items: Iterable[dict], corpus_dir: Path, k: int = 5) -> list[Outcome]:
    """Ask every question (with its history) once; keep its ranking and its abstention evidence."""
    catalog = load_catalog(Path(corpus_dir))
    aliases = {m["received_as"]: doc for doc, m in catalog.items() if m.get("received_as")}
    always = AbstentionModel.never()
    out = []
    for item in items:
        r = assistant.retrieve(
            item["question"], history=item.get("history") or [], full_evidence=True
        )
        answer = build_answer(r.question, r.query, r.data, r.candidates, k, r.evidence, always)
        rank = None
        if item["evidence"]:
            # the texts of the restatements a shown passage stands for (its also_in spans)
            restated = {
                (c.doc, c.start, c.end): c.text
                for c in (r.data.chunks[row] for row in r.candidates.rows[:DUPLICATE_DEPTH])
            }
            rank = answering_rank(answer, item["evidence"], aliases, restated)
        about = item.get("about") or next((e.get("doc") for e in item["evidence"]), None)
        out.append(
            Outcome(
                item.get("id", ""),
                item["kind"],
                item["question"],
                answer.query,
                rank,
                aliases.get(about, about),
                split_of(item.get("id", item["question"])),
                r.evidence,
                item.get("answer_type"),
            )
        )
    return out


def _rate(xs: list[bool]) -> float | None:
    return round(sum(xs) / len(xs), 3) if xs else None


def decide(outcomes: list[Outcome], model: AbstentionModel) -> list[bool]:
    """Whether the model abstains on each outcome."""
    return [model.abstains(o.evidence) for o in outcomes]


def figures(outcomes: list[Outcome], abstained: list[bool]) -> dict:
    """hit@1/3/5, MRR@5 and false abstention over answerable questions, abstention on out-of-scope.

    An abstention on an answerable question is a miss and a false abstention.
    """
    pairs = list(zip(outcomes, abstained, strict=True))

    def found(o: Outcome, a: bool, k: int) -> bool:
        return not a and o.rank is not None and o.rank <= k

    def block(sub: list[tuple[Outcome, bool]]) -> dict:
        ans = [(o, a) for o, a in sub if o.answerable]
        oos = [(o, a) for o, a in sub if not o.answerable]
        d: dict = {"questions": len(sub)}
        if ans:
            for k in KS:
                d[f"hit@{k}"] = _rate([found(o, a, k) for o, a in ans])
            d["mrr@5"] = round(sum(1 / o.rank for o, a in ans if found(o, a, 5)) / len(ans), 3)
            d["false_abstention"] = _rate([a for _, a in ans])
        if oos:
            d["abstention"] = _rate([a for _, a in oos])
        return d

    kinds = sorted({o.kind for o in outcomes})
    return {
        "all": block(pairs),
        "answerable": block([p for p in pairs if p[0].answerable]),
        "out_of_scope": block([p for p in pairs if not p[0].answerable]),
        "by_kind": {kind: block([p for p in pairs if p[0].kind == kind]) for kind in kinds},
        "misses": [
            {
                "id": o.id,
                "kind": o.kind,
                "question": o.question,
                "query": o.query,
                "rank": o.rank,
                "abstained": a,
            }
            for o, a in pairs
            if (o.answerable and (o.rank is None or o.rank > 5 or a))
            or (not o.answerable and not a)
        ],
    }


def operating_curve(outcomes: list[Outcome], model: AbstentionModel) -> list[dict]:
    """Abstention on out-of-scope against false abstention, for a range of thresholds."""
    p = [model.probability(o.evidence) for o in outcomes]
    rows = []
    for t in sorted(set(CURVE) | {round(model.threshold, 3)}):
        oos = [pi < t for pi, o in zip(p, outcomes, strict=True) if not o.answerable]
        ans = [pi < t for pi, o in zip(p, outcomes, strict=True) if o.answerable]
        rows.append({"threshold": t, "abstention": _rate(oos), "false_abstention": _rate(ans)})
    return rows


def leave_one_document_out(outcomes: list[Outcome], fit) -> tuple[list[Outcome], list[bool]]:
    """Refit the decision on the tuning questions of all documents but one, decide on that one's.

    `fit` maps a list of outcomes to an AbstentionModel. Questions with no document are left out.
    """
    docs = sorted({o.about for o in outcomes if o.about})
    scored: list[Outcome] = []
    decisions: list[bool] = []
    for doc in docs:
        train = [o for o in outcomes if o.split == TUNING and o.about and o.about != doc]
        model = fit(train)
        test = [o for o in outcomes if o.about == doc]
        scored += test
        decisions += decide(test, model)
    return scored, decisions


def format_table(named_blocks: list[tuple[str, dict]]) -> str:
    """Readable table of figure blocks."""
    cols = ["questions", "hit@1", "hit@3", "hit@5", "mrr@5", "false_abstention", "abstention"]
    width = max(len(name) for name, _ in named_blocks) + 2
    lines = ["".ljust(width) + "".join(c.rjust(17) for c in cols)]
    for name, b in named_blocks:
        lines.append(name.ljust(width) + "".join(str(b.get(c, "-")).rjust(17) for c in cols))
    return "\n".join(lines)


def format_figures(f: dict, misses: bool = True, where: str = "") -> str:
    """Readable table of one set's figures, by kind, and its misses (`where`: which set)."""
    rows = [(name, f[name]) for name in ("all", "answerable", "out_of_scope")]
    rows += [(f"  {kind}", b) for kind, b in f["by_kind"].items()]
    lines = [format_table(rows)]
    if misses:
        lines += ["", f"misses{' ' + where if where else ''} ({len(f['misses'])}):"]
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
