"""What a question's form asks for: a definition of some term, an enumeration, a dated fact."""

from __future__ import annotations

import re
from dataclasses import dataclass

from .answer_types import _WH  # any question word

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
# "Who is the point of contact for X?", "Who was the main author of X?": who holds a role of
# something, a person; "Who is Lt Col Verbanck?" and "Who are the non-military actors?" ask what
# or whom a name means.
_HOLDER_OF = re.compile(
    r"^(?:and\s+)?who\s+(?:is|are|was|were)\s+the\s+[^?]*?\b(?:of|for|to|at|in|within)\s", re.I
)
# Nouns that name a value ("What is the salary / date / location of X?" asks for a value of X,
# not what X is).
_VALUE_NOUNS = frozenset(
    ["salary", "salaries", "wage", "wages", "pay", "cost", "costs", "price", "fee", "fees"]
    + ["budget", "budgets", "funding", "date", "dates", "deadline", "deadlines", "timeline"]
    + ["schedule", "location", "venue", "whereabouts", "address", "headcount", "size", "number"]
    + ["strength", "length", "duration", "frequency", "percentage", "share", "proportion", "age"]
    + ["spending", "expenditure", "expenses", "charge", "charges"]
)
# (after up to two modifiers: "the yearly spending of X", "the maximum class size of X")
_VALUE_OF = re.compile(
    rf"^(?:[\w-]+\s+){{0,2}}?(?:{'|'.join(sorted(_VALUE_NOUNS))})\s+(?:of|for)\b", re.IGNORECASE
)
_COMPARISON = re.compile(
    r"^(?:difference|differences|relationship|link|distinction)\s+between\b", re.I
)
_ENDS_IN_PREPOSITION = re.compile(
    r"\s(?:of|for|in|on|to|at|by|with|from|about|into)$", re.IGNORECASE
)

_NUMBER = r"(?:two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|\d{1,2})"
_ENUMERATION = re.compile(
    rf"^(?:what|which)\s+(?:are|were)\b|^(?:list|name|enumerate)\b|"
    # "the seven baseline requirements" (not the "19" of "AJP-3.19 defines")
    rf"(?<![\w.-]){_NUMBER}\s+(?:\w+\s+){{0,3}}\w+s\b|"
    r"\bwho\s+are\b|\bwhat\s+(?:does|do)\s+.+\s+(?:include|comprise|encompass)\b",
    re.IGNORECASE,
)

_ITEM_LINE = re.compile(r"(?m)^\s*(?:[-•*·▪◦–]|\d{1,3}[.)])\s+\S")


def defined_term(question: str) -> str | None:
    """The term a definition question asks about ("What is CMI?" -> "CMI"), else None."""
    q = " ".join(question.split())
    for pattern in _DEFINITION:
        m = pattern.match(q)
        if m:
            x = m.group("x").strip(" \"'“”‘’.")
            if _NOW.search(x) or _VALUE_OF.match(x) or _HOLDER_OF.match(q):
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


# A request reads as the question it asks: "Tell me which NGOs …" as "which NGOs …", "Explain
# societal resilience" as "What is societal resilience?", "Give me the phone number of X" as "What
# is the phone number of X?". ("List …", "Name …" and "Define …" are read as they stand.)
_REQUEST = re.compile(
    r"^\s*(?:please\s+)?(?:(?:can|could|would|will)\s+you\s+(?:please\s+)?)?"
    r"(?P<verb>(?:tell|show|give|send|find|get)\s+(?:me|us)(?:\s+about)?|explain|describe|"
    r"summari[sz]e|outline|detail|give|show|find|provide|"
    # "I would like to know …", "I need …", "I'm looking for …", "Do you know …"
    r"i\s+(?:would|'d|’d)\s+like\s+to\s+know|i\s+(?:want|need|wish)\s+to\s+know|"
    r"i\s+(?:need|want)|i(?:\s+am|'m|’m)\s+looking\s+for|do\s+you\s+know|let\s+me\s+know)"
    r"\s+(?P<rest>.+)$",
    re.IGNORECASE,
)
# "Name / List the countries that have …": the things that have it, which "Which countries have …?"
# asks for
_NAME_THE = re.compile(
    r"^\s*(?:please\s+)?(?:name|list)\s+(?:all\s+)?(?:of\s+)?(?:the\s+)?"
    r"(?P<what>(?:[\w-]+\s+){0,3}?[\w-]+)\s+(?:that|which|who)\s+(?P<rest>.+)$",
    re.IGNORECASE,
)
# "Hi, …", "Hello! …", "Quick question: …": a greeting or a preface asks nothing.
_GREETING = re.compile(
    r"^(?:(?:hi|hello|hey|dear\s+\w+|good\s+(?:morning|afternoon|evening))\b[\s,!.:;-]*)?"
    r"(?:(?:quick\s+|one\s+|a\s+)?question\s*[:,-]\s*)?",
    re.IGNORECASE,
)
# "What's X?", "Who's the current …?", "whats the salary …": the question word and "is"
_CONTRACTED = re.compile(r"^(what|who|where|when|how)(?:['’]s|s)\b", re.IGNORECASE)
_EMBEDDED_WH = re.compile(
    r"^(?:who|whom|whose|what|when|where|which|why|how|whether|if)\b", re.IGNORECASE
)
# "Explain X", "Tell me about X" ask what X is; "Give me X", "Show me X" ask for X itself.
_ASKS_WHAT = re.compile(
    r"^(?:explain|describe|summari[sz]e|outline|detail|tell\s+\w+\s+about)$", re.I
)
# A search-box query ("gender advisor salary", "course location") is a noun phrase; its last word is
# its head. When that word names a kind of answer, it reads as "What is the <head> of <the rest>?".
_KEYWORD_HEADS = _VALUE_NOUNS | frozenset(
    ["prices", "timelines", "schedules", "locations", "venues", "addresses", "numbers", "name"]
    + ["names", "email", "website", "url", "phone", "language", "languages", "rank"]
)
_NOT_KEYWORD_START = re.compile(
    r"^(?:who|whom|whose|what|when|where|which|why|how|is|are|was|were|do|does|did|can|could|"
    r"should|would|will|shall|may|might|must|has|have|had|and|so|but|or|i|i'm|we|we're|my|our|you|"
    r"please|hello|hi|list|name|define|tell|show|give|explain|describe|in|at|on|for|to|by|with|"
    r"from|since|into|besides|as|the|a|an)\b",
    re.IGNORECASE,
)
MAX_KEYWORD_WORDS = 8


def as_question(query: str) -> str:
    """The question a request or a search-box query asks, in question form, for reading its form.

    "Tell me which NGOs …" -> "which NGOs …?", "Explain X." -> "What is X?", "gender advisor
    salary" -> "What is the salary of the gender advisor?". Other text is returned as it is.
    """
    q = _GREETING.sub("", " ".join(query.split()), count=1) or query
    q = _CONTRACTED.sub(lambda m: f"{m.group(1)} is", q, count=1)  # "What's X?" -> "What is X?"
    m = _NAME_THE.match(q)
    if m:  # "Name the countries that have appointed …" -> "Which countries have appointed …?"
        return f"Which {m.group('what')} {m.group('rest').rstrip(' .!?')}?"
    m = _REQUEST.match(q)
    if m:
        rest = m.group("rest").rstrip(" .!?")
        rest = re.sub(r"\s+please$", "", rest, flags=re.IGNORECASE)
        # "Describe the responsibilities of X" asks what X's responsibilities are, which reads
        # as no definition; "Give me the phone number of X" asks for a value, and reads as one.
        of = re.match(r"^(?:the|its|their)\s+([\w-]+)\s+(?:of|for)\b", rest, re.IGNORECASE)
        if of and of.group(1).lower() not in _KEYWORD_HEADS:
            return q
        if _EMBEDDED_WH.match(rest):
            return rest[0].upper() + rest[1:] + "?"
        if _ASKS_WHAT.match(m.group("verb")) or re.match(r"^(?:the|a|an|its|their)\b", rest, re.I):
            return f"What is {rest}?"
        return q
    words = q.rstrip(" .!?").split()
    if (
        2 <= len(words) <= MAX_KEYWORD_WORDS
        and not _NOT_KEYWORD_START.match(q)
        and not _WH.search(q)
        and words[-1].lower() in _KEYWORD_HEADS
    ):
        return f"What is the {words[-1]} of the {' '.join(words[:-1])}?"
    return q


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

    form = as_question(query)  # a request or a search-box query, read as the question it asks
    term = defined_term(form)
    wants_list = asks_enumeration(form)
    types = at.expected_types(form, definition=term is not None, wants_list=wants_list)
    focus = tuple(dict.fromkeys(w for w in content_words(query) if w not in _FORM_WORDS))
    return Question(
        query,
        term,
        wants_list,
        types,
        focus,
        at.head_word(form),
        at.predicate(form),
        at.counted_words(form),
    )
