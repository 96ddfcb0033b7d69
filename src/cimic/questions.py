"""What a question's form asks for: a definition of some term, an enumeration, a dated fact."""

from __future__ import annotations

import re
from dataclasses import dataclass

# "What does the term X mean?", "What does the acronym CMI stand for?": the word naming X is not X.
_ARTICLE = (
    r"(?:an?\s+|the\s+)?(?:(?:term|word|phrase|expression|acronym|abbreviation)\s+"
    r"(?!(?:for|of|used)\b))?"
)
_DEFINITION = [  # most specific first
    re.compile(rf"^what\s+is\s+meant\s+by\s+{_ARTICLE}(?P<x>[^?]+?)\s*\??$", re.IGNORECASE),
    re.compile(
        rf"^(?:what\s+is\s+)?the\s+(?:definition|meaning)\s+of\s+{_ARTICLE}(?P<x>[^?]+?)\s*\??$",
        re.IGNORECASE,
    ),
    re.compile(rf"^define\s+{_ARTICLE}(?P<x>[^?]+?)\s*[.?]?$", re.IGNORECASE),
    re.compile(
        rf"^what\s+(?:does|do)\s+{_ARTICLE}(?P<x>.+?)\s+(?:mean|stand for)\s*\??$", re.IGNORECASE
    ),
    re.compile(rf"^how\s+(?:is|are)\s+{_ARTICLE}(?P<x>.+?)\s+defined\s*\??$", re.IGNORECASE),
    re.compile(rf"^(?:what|who)\s+(?:is|are)\s+{_ARTICLE}(?P<x>[^?]+?)\s*\??$", re.IGNORECASE),
]
MAX_TERM_WORDS = 6
# "Who is the *current* SACEUR?", "Who is the SACEUR *at present*?" ask who holds it now, not what
# it is: no definition question.
_NOW = re.compile(
    r"^current\s+|\s+(?:at present|now|today|currently|nowadays|presently|"
    r"these days)$",
    re.IGNORECASE,
)
_COMPARISON = re.compile(
    r"^(?:difference|differences|relationship|link|distinction)\s+between\b", re.I
)
_ENDS_IN_PREPOSITION = re.compile(
    r"\s(?:of|for|in|on|to|at|by|with|from|about|into)$", re.IGNORECASE
)

_NUMBER = r"(?:two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|\d{1,2})"
_ENUMERATION = re.compile(
    rf"^(?:what|which)\s+(?:are|were)\b|^(?:list|name|enumerate)\b|\b{_NUMBER}\s+(?:\w+\s+){{0,3}}\w+s\b|"
    r"\bwho\s+are\b|\bwhat\s+(?:does|do)\s+.+\s+(?:include|comprise|encompass)\b",
    re.IGNORECASE,
)

# Questions that only a dated statement answers: asking for a year or date, or for what holds
# now or next (a document collection is a snapshot; it answers those only where it gives dates).
_ASKS_TIME = re.compile(
    r"\b(what|which|in what|in which) (year|date|month)\b|\b(since when|how long ago|"
    r"current|currently|next|upcoming|latest|today|nowadays|at present|presently|this year)\b",
    re.IGNORECASE,
)
_DATE = re.compile(
    r"\b(1[5-9]\d\d|20\d\d)s?\b|\b(January|February|March|April|May|June|July|August|September|"
    r"October|November|December|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)\.?\s+\d{1,4}\b|"
    r"\b\d{1,2}\s+(January|February|March|April|May|June|July|August|September|October|November|December)\b"
)
_ITEM_LINE = re.compile(r"(?m)^\s*(?:[-•*·▪◦–]|\d{1,3}[.)])\s+\S")


def defined_term(question: str) -> str | None:
    """The term a definition question asks about ("What is CMI?" -> "CMI"), else None."""
    q = " ".join(question.split())
    for pattern in _DEFINITION:
        m = pattern.match(q)
        if m:
            x = m.group("x").strip(" \"'“”‘’.")
            if _NOW.search(x):
                return None
            # "What is the group in charge of?" asks what it does, not what it is.
            if (
                x
                and len(x.split()) <= MAX_TERM_WORDS
                and not _ENDS_IN_PREPOSITION.search(x)
                and not _COMPARISON.match(x)  # "the difference between X and Y" compares two
            ):
                return x
    return None


def asks_enumeration(question: str) -> bool:
    """Whether the question asks for a list of things."""
    return bool(_ENUMERATION.search(question))


def asks_time(question: str) -> bool:
    """Whether the question can only be answered by a dated statement."""
    return bool(_ASKS_TIME.search(question))


def has_date(text: str) -> bool:
    """Whether the text states a year or a calendar date."""
    return bool(_DATE.search(text))


def is_enumeration(text: str) -> bool:
    """Whether a passage enumerates: three or more list items, or a run of comma-separated lines."""
    if len(_ITEM_LINE.findall(text)) >= 3:
        return True
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    return sum(ln.endswith((",", ";")) for ln in lines) >= 3


def lead_in(text: str) -> str:
    """What an enumeration says it lists: the line before its first item ("… include:")."""
    m = _ITEM_LINE.search(text)
    if not m:
        return ""
    before = [ln for ln in text[: m.start()].splitlines() if ln.strip()]
    return before[-1] if before else ""


# Words that state a question's form or time rather than its topic: they count towards the answer
# type, not towards the focus that passages must cover.
_FORM_WORDS = frozenset(
    [
        "many",
        "much",
        "number",
        "current",
        "currently",
        "next",
        "today",
        "now",
        "nowadays",
        "latest",
        "upcoming",
        "presently",
        "year",
        "years",
        "date",
        "month",
        "day",
        "exactly",
        "mean",
        "means",
        "meaning",
        "defined",
        "define",
        "definition",
        "term",
        "called",
        "name",
        "list",
        "main",
        "acronym",
        "abbreviation",
        "stand",
        # auxiliaries: "Which countries' deployments *were* used …" asks nothing of "were"
        "were",
        "be",
        "been",
        "being",
        "has",
        "have",
        "had",
        "do",
        "does",
        "did",
        "can",
        "could",
        "should",
        "would",
        "may",
        "might",
        "must",
        "shall",
        # pronouns: "… and what is *her* role?" names no topic
        "he",
        "she",
        "him",
        "her",
        "his",
        "hers",
        "its",
        "we",
        "us",
        "our",
        "you",
        "your",
        "my",
        "me",
        "them",
    ]
)


@dataclass(frozen=True)
class Question:
    """A standalone query read once: its form, the answer types it needs and its focus words."""

    text: str
    term: str | None  # "What is X?" -> X
    wants_list: bool
    types: frozenset  # answer types (see answer_types)
    focus: tuple[str, ...]  # content words in question order, lower-cased, form words left out
    head: str | None = None  # the noun it asks for: "What *salary* …" (answer_types.head_word)
    verb: str | None = None  # the verb it asks about: "Who *chairs* …" (answer_types.predicate)
    counted: tuple[str, ...] = ()  # what "How many …" counts (answer_types.counted_words)


def read_question(query: str) -> Question:
    """Parse a standalone query once; later stages read the result instead of the text."""
    from . import answer_types as at
    from .lexical import content_words

    term = defined_term(query)
    wants_list = asks_enumeration(query)
    types = at.expected_types(query, definition=term is not None, wants_list=wants_list)
    focus = tuple(dict.fromkeys(w for w in content_words(query) if w not in _FORM_WORDS))
    return Question(
        query,
        term,
        wants_list,
        types,
        focus,
        at.head_word(query),
        at.predicate(query),
        at.counted_words(query),
    )
