"""Turns a follow-up question plus the conversation's earlier questions into a standalone query.

Language decides first: a question that opens with "and", "what about", or names almost nothing
needs the conversation; one with a referring word ("it", "they", "she") may; one without stands
alone and is searched as asked, whatever came before. Where language leaves it open, retrieval
evidence decides (see `Assistant.ask`): the rewritten query is kept only if the documents answer
it clearly better than the question alone.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from .lexical import content_words
from .questions import defined_term

_REFERRING = re.compile(
    r"\b(it|its|it's|they|them|their|theirs|this|that|these|those|he|him|his|she|her|hers|"
    r"there|such|same|former|latter|above)\b",
    re.IGNORECASE,
)
# "the first one", "the next ones": "one" standing for something named before.
_PRO_ONE = re.compile(
    r"\b(?:the|this|that|these|those|first|last|next|latest|other|previous|same|new|old|"
    r"earlier|later|second|third)\s+(?:\w+\s+)?ones?\b",
    re.IGNORECASE,
)
_CONTINUATION = re.compile(
    r"^\s*(and|or|but|also|so|then|what about|how about|what else|anything else|why not|why)\b",
    re.IGNORECASE,
)
_QUESTION_HEAD = re.compile(
    r"^\s*(?:(?:and|so|also)\s+)?(?:(?:what|who|which|why|how|when|where)(?:\s+(?:exactly|else))?\s+"
    r"(?:is|are|was|were|does|do|did|can|could|should|would|has|have|about)?\s*|"
    r"(?:define|explain|describe|tell me about)\s+)(?:(?:the|a|an)\s+)?",
    re.IGNORECASE,
)

STANDALONE, MAYBE, DEPENDENT = "standalone", "maybe", "dependent"


@dataclass(frozen=True)
class Rewrite:
    """A question, the query it becomes with the conversation, and how sure language is."""

    question: str
    query: str
    dependence: str  # STANDALONE | MAYBE | DEPENDENT


def dependence(question: str) -> str:
    """How much the question leans on the conversation, judged from its wording alone."""
    n_content = len(content_words(question))
    refers = bool(_REFERRING.search(question) or _PRO_ONE.search(question))
    if _CONTINUATION.match(question) or n_content == 0:
        return DEPENDENT
    if defined_term(question) and not refers:
        return STANDALONE  # "What is wargaming?" names its own topic
    if refers or n_content == 1:
        return MAYBE
    return STANDALONE


def topic(question: str) -> str:
    """What an earlier question was about: the question without its interrogative head."""
    body = _QUESTION_HEAD.sub("", question.strip(), count=1).strip().rstrip("?.! ").strip()
    return body or question.strip()


def conversation_topic(history: Sequence[str]) -> str | None:
    """The topic of the latest earlier question that named one of its own."""
    for earlier in reversed(history):
        if earlier.strip() and dependence(earlier) == STANDALONE:
            return topic(earlier)
    for earlier in reversed(history):  # every earlier question leaned on another: take the latest
        if earlier.strip():
            return topic(earlier)
    return None


def rewrite(question: str, history: Sequence[str]) -> Rewrite:
    """The standalone query for a question asked after `history` (oldest first)."""
    question = question.strip()
    about = conversation_topic(history) if history else None
    level = dependence(question)
    if about is None or level == STANDALONE or about.lower() in question.lower():
        return Rewrite(question, question, STANDALONE)
    return Rewrite(question, f"{question} ({about})", level)


def standalone_query(question: str, history: Sequence[str]) -> str:
    """The query language alone would search (evidence may still keep the plain question)."""
    return rewrite(question, history).query
