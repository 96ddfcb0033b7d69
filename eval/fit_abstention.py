"""Fit the abstention model on the tuning half of eval/questions.jsonl; write its numbers.

    .venv/bin/python eval/fit_abstention.py            # writes src/cimic/abstention_model.json

The index must be built (`cimic index`). Only tuning-half questions are used; `cimic eval` then
reports both halves and a leave-one-document-out figure with refits made the same way.
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from cimic import Assistant  # noqa: E402
from cimic.evaluation import TUNING, evaluate, read_questions  # noqa: E402
from cimic.fitting import fit_outcomes  # noqa: E402

QUESTIONS = ROOT / "eval" / "questions.jsonl"
OUT = ROOT / "src" / "cimic" / "abstention_model.json"


def main() -> None:
    """Evaluate, fit on the tuning half, write the model."""
    assistant = Assistant.open(ROOT / "corpus", ROOT / "index", update=True)
    outcomes = evaluate(assistant, read_questions(QUESTIONS), ROOT / "corpus")
    tuning = [o for o in outcomes if o.split == TUNING]
    digest = hashlib.sha256(QUESTIONS.read_bytes()).hexdigest()[:12]
    model = fit_outcomes(
        tuning,
        f"tuning half of eval/questions.jsonl (sha256 {digest}…): {len(tuning)} questions, "
        f"{sum(not o.answerable for o in tuning)} out of scope",
    )
    OUT.write_text(json.dumps(model.to_dict(), indent=1) + "\n", encoding="utf-8")
    print(json.dumps(model.to_dict(), indent=1))


if __name__ == "__main__":
    main()
