"""Turns a follow-up question plus the conversation's earlier questions into a standalone query."""

from __future__ import annotations

import re
from collections.abc import Sequence

from .lexical import content_words

# Words that point back to something named earlier in the conversation.
_REFERRING = re.compile(
    r"\b(it|its|it's|they|them|their|theirs|this|that|these|those|he|him|his|she|her|hers|"
    r"there|such|same|former|latter|above)\b",
    re.IGNORECASE,
)
_CONTINUATION = re.compile(
    r"^\s*(and|or|but|also|so|then|what about|how about|and in|in)\b", re.IGNORECASE
)


def is_follow_up(question: str) -> bool:
    """Whether the question leans on an earlier one (refers back, continues, or names no topic)."""
    if _CONTINUATION.match(question) or _REFERRING.search(question):
        return True
    return len(content_words(question)) <= 1


def standalone_query(question: str, history: Sequence[str]) -> str:
    """The query to search: the question itself, or the question with its antecedent prepended."""
    question = question.strip()
    if not history or not is_follow_up(question):
        return question
    # Walk back to the last earlier question that names a topic of its own.
    for earlier in reversed(history):
        earlier = earlier.strip()
        if earlier and not is_follow_up(earlier):
            return f"{earlier} {question}"
    return " ".join([*(h.strip() for h in history if h.strip()), question])
