"""Whether the top passages can answer *this* question: named evidence, a small fitted model, a reason.

Similarity alone cannot tell "What salary does a gender advisor earn?" from an answerable question:
the top passages are about gender advisors. So the evidence has several named parts:

- ``log_dense``: the log of the best sentence-aware cosine of a candidate (closeness of meaning; the
  log spreads the low end, where questions from other fields lie);
- ``agreement``: the larger of that cosine and ``coverage``, the best share of the query's terms
  found in one top passage, each term weighted by its specificity: an answerable question is close in meaning or in wording, a question
  from another field is close in neither;
- ``focus``: how well the top passages cover the question's words, each weighted by how specific it
  is in the corpus (rare or absent words weigh most); a word is covered literally, or by its closest
  word in the passages (word vectors of the corpus vocabulary, computed at index time);
- ``focus_min``: that coverage for the question's single most specific word ("salary", "Ukraine");
- ``head``: that coverage for the noun the question asks for ("What *salary* …", "How many *people*",
  "What are the *phases* of …"), 1 when the question names none;
- ``type_missing``: the share of the answer types the question needs (a number, an amount of money,
  a date, a person, a place, countries …; see answer_types) of which no top passage holds an
  instance near the question's focus (within NEAR_CHARS of one of its two most specific words; a
  passage lacking either counts only when it is as close in meaning as the best passage);
- ``subject_missing``: a "What is X?" question whose X no top passage defines (0.5) or even names (1).
- ``predicate``: how well the top passages cover the verb the question asks about ("Who *chairs* …",
  "Why was … *criticised*?", "How do I *apply* …"; see answer_types.predicate): 1 when one holds it
  literally or the question's form shows none; else the best cosine of the verb's token vector,
  read in the question, to any token of the top three passages' closest sentences, read in them
  (one encoder run: "*counsels*" finds "advises", which single-word vectors do not; an encoder
  without token vectors falls back to the closest corpus word's vector). Near-domain questions the documents
  cannot answer often name a known subject and ask something of it the documents never say.
- ``verb_meaning``: when that verb is not in the passages, how much it adds to the question's
  closeness to their best sentence (its cosine there, less that of the question without the verb;
  one more encoder run). A paraphrased verb ("Who *leads* …" over "headed by") says what the
  passage says and adds; a verb the documents never speak of ("Who *drafted* …") takes away. 0
  when the verb is in the passages or the question has none.
- ``year_missing``: the share of the years the question names ("… at its *2020* conference") that
  no top passage states. A year in the question is a condition on the answer: passages about the
  same subject in other years do not meet it.

A logistic regression over these features (weights kept on their expected side of zero), fitted on the tuning half of eval/questions.jsonl by
eval/fit_abstention.py, turns them into the probability that the passages answer the question; below
the fitted threshold, or with a best cosine far below that of every answerable tuning question (the
floor: a question from another field, whatever common words it shares with the passages), the
assistant abstains and says, from the same evidence, what is missing.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import asdict, dataclass, replace
from functools import lru_cache
from importlib import resources
from pathlib import Path

import numpy as np

from . import answer_types as at
from .lexical import _stopwords, _term, content_words, terms, words
from .questions import Question
from .retrieval import (
    Candidates,
    QuestionWords,
    defines,
    embed_question_words,
    term_aliases,
    term_head,
)
from .store import IndexData
from .vocabulary import SHORT_FORM, long_form

FEATURES = (
    "log_dense",
    "agreement",
    "focus",
    "focus_min",
    "head",
    "type_missing",
    "form_missing",
    "subject_missing",
    "predicate",
    "verb_meaning",
    "year_missing",
    "list_missing",
)
TOP = 5  # passages whose evidence counts
COVERAGE_TOP = 3
NEAR_CHARS = 250  # "near the focus": an answer instance within this many characters of a focus word
# cosine below the best passage's that still counts as as close in meaning (see eval/README)
MEANING_MARGIN = 0.01
NAMES_COSINE = 0.6  # a word this close to the one a list should name names the same thing
ANCHORS = 2  # the most specific focus words found in a passage anchor the type check
CONTEXT_TOP = 3  # passages in which a verb the question asks about is read in context ...
CONTEXT_SENTENCES = 1  # ... and in how many of each one's sentences (the closest to the question)
COUNTED_COSINE = 0.55  # "How many staff": a count of "personnel" is near enough
FACTOID_TYPES = frozenset(
    {
        at.COUNT,
        at.MONEY,
        at.DURATION,
        at.PROPORTION,
        at.FREQUENCY,
        at.MEASURE,
        at.TIME,
        at.COLOUR,
        at.WEEKDAY,
        at.UNIVERSITY,
        at.COMPANY,
        at.NGO,
        at.CONTACT,
        at.LANGUAGE,
        at.RANK,
        at.DATE,
        at.FUTURE_DATE,
        at.PERSON,
        at.PARTY,
        at.INDIVIDUAL,
        at.HOLDER,
        at.NAMED,
        at.PLACE,
        at.CITY,
        at.COUNTRIES,
        at.ORGANISATIONS,
    }
)
FORM_TYPES = frozenset(
    {at.LIST, at.REASON, at.PROCEDURE}
)  # loosely checkable: a feature of their own
_TOKEN = re.compile(r"[^\W_]+")


@dataclass(frozen=True)
class Evidence:
    """The named features of one question's top passages, and what the explanation needs."""

    dense: float
    coverage: float
    focus: float
    focus_min: float
    head: float
    type_missing: float
    form_missing: float
    subject_missing: float
    predicate: float = 1.0  # coverage of the question's verb ("Who *chairs* …"); 1 when it has none
    verb_meaning: float = 0.0  # what a verb the passages lack adds to the closeness in meaning
    year_missing: float = 0.0  # share of the question's years that no top passage states
    # a list asked for ("What are the phases of X?") that no top passage holds
    list_missing: float = 0.0
    missing_year: str | None = None  # the first of them, for the explanation
    verb: str | None = None  # that verb, for the explanation
    question: str = ""  # the question as searched, for the explanation
    missing_word: str | None = None  # the most specific question word no top passage covers
    missing_types: tuple[str, ...] = ()
    asks_holder: bool = False  # "Who is the current …?": the question wants who holds it now
    topic: str | None = None  # the words of the question the passages do cover, as asked
    term: str | None = None  # the term a "What is X?" question asks to define, as asked

    @property
    def agreement(self) -> float:
        """The stronger of meaning and wording: a question from another field is low on both."""
        return max(self.dense, self.coverage)

    @property
    def log_dense(self) -> float:
        """log of the best cosine: far-off questions (cosine 0.1) stand out from near ones (0.5)."""
        return math.log(max(self.dense, 0.05))

    def vector(self) -> np.ndarray:
        """The features in FEATURES order."""
        return np.array([getattr(self, f) for f in FEATURES], dtype=np.float64)


@dataclass(frozen=True)
class AbstentionModel:
    """Logistic regression over standardised features; weights are plain numbers kept in the repo."""

    features: tuple[str, ...] = FEATURES
    mean: tuple[float, ...] = (0.0,) * len(FEATURES)
    scale: tuple[float, ...] = (1.0,) * len(FEATURES)
    coef: tuple[float, ...] = (0.0,) * len(FEATURES)
    intercept: float = 0.0
    threshold: float = 0.5  # abstain when the probability of an answer is below this
    floor: float = 0.0  # and when the best cosine is far below every answerable tuning question's
    fitted_on: str = "not fitted"

    def probability(self, ev: Evidence) -> float:
        """Probability that the passages answer the question."""
        x = np.array([getattr(ev, f) for f in self.features], dtype=np.float64)
        z = (x - np.array(self.mean)) / np.array(self.scale)
        logit = float(z @ np.array(self.coef) + self.intercept)
        return 1.0 / (1.0 + math.exp(-max(-60.0, min(60.0, logit))))

    def abstains(self, ev: Evidence) -> bool:
        """Whether to abstain on this evidence."""
        return ev.dense < self.floor or self.probability(ev) < self.threshold

    def contributions(self, ev: Evidence) -> dict[str, float]:
        """Each feature's share of the logit (positive: towards answering)."""
        out = {}
        for i, f in enumerate(self.features):
            out[f] = (getattr(ev, f) - self.mean[i]) / self.scale[i] * self.coef[i]
        return out

    def to_dict(self) -> dict:
        """JSON-ready form."""
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> AbstentionModel:
        """Read the form written by to_dict."""
        fields = {k: tuple(v) if isinstance(v, list) else v for k, v in d.items()}
        return cls(**{k: v for k, v in fields.items() if k in cls.__dataclass_fields__})

    @classmethod
    def never(cls) -> AbstentionModel:
        """A model that always answers (tests with a toy encoder, measurements of ranking alone)."""
        return cls(threshold=0.0, floor=0.0, fitted_on="never abstains")

    @classmethod
    def load(cls, path: str | Path | None = None) -> AbstentionModel:
        """The fitted model shipped with the package, or the one at path."""
        if path is None:
            text = resources.files("cimic").joinpath("abstention_model.json").read_text("utf-8")
        else:
            text = Path(path).read_text(encoding="utf-8")
        return cls.from_dict(json.loads(text))


@lru_cache(maxsize=2_048)
def _term_sequence(text: str) -> tuple[str, ...]:
    return tuple(terms(text))


@lru_cache(maxsize=2_048)
def _terms_of(text: str) -> frozenset[str]:
    return frozenset(_term_sequence(text))


@lru_cache(maxsize=2_048)
def _words_of(text: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys(words(text)))


def specificity(data: IndexData, word: str) -> float:
    """How specific a word is in this corpus: -log of its share of all words (absent: the most)."""
    counts = data.vocabulary.word_counts
    total = data.vocabulary.total_words
    return math.log((total + 1) / (counts.get(word, 0) + 1))


def soft_coverage(
    data: IndexData, qw: QuestionWords, focus: list[str], rows: list[int]
) -> dict[str, float]:
    """Per focus word: 1.0 if a top passage has it (same index term), else its closest passage word's cosine."""
    texts = [data.chunks[r].search_text for r in rows]
    present = frozenset().union(*(_terms_of(t) for t in texts)) if texts else frozenset()
    out: dict[str, float] = {}
    missing = [w for w in focus if _term(w) not in present]
    for w in focus:
        if w not in missing:
            out[w] = 1.0
    if not missing:
        return out
    ids = sorted({data.word_index[w] for t in texts for w in _words_of(t) if w in data.word_index})
    if not ids or data.word_vectors is None or not data.word_vectors.size:
        return {**out, **dict.fromkeys(missing, 0.0)}
    passage_vectors = data.word_vectors.rows(np.array(ids))
    for w in missing:
        vec = qw.get(w)  # a word neither the corpus nor the question's run has: not covered
        out[w] = 0.0 if vec is None else max(0.0, float((passage_vectors @ vec).max()))
    return out


def _counts_same(
    data: IndexData, qw: QuestionWords, counted: tuple[str, ...], instance: str
) -> bool:
    """Whether a count ("seven baseline requirements") counts what the question asks about."""
    what = [w for w in words(instance)[1:] if w.isalpha()]
    stems = {_term(w) for w in counted}
    if any(_term(w) in stems for w in what):
        return True
    qv = [v for v in (qw.get(w) for w in counted) if v is not None]
    iv = [v for v in (qw.get(w) for w in what) if v is not None]
    return any(float(a @ b) >= COUNTED_COSINE for a in qv for b in iv)


def _names(data: IndexData, qw: QuestionWords, word: str, text: str) -> bool:
    """Whether text holds a word, by its stem or a close corpus word ("capacities" ~ "capabilities")."""
    ws = _words_of(text)
    if _term(word) in {_term(w) for w in ws}:
        return True
    vec = qw.get(word)
    ids = [data.word_index[w] for w in ws if w in data.word_index]
    if vec is None or not ids:
        return False
    return float((data.word_vectors.rows(np.array(ids)) @ vec).max()) >= NAMES_COSINE


_NAME_JOINERS = frozenset(["of", "the", "for", "and", "in", "on", "to", "a", "an"])


def _is_name(term: str) -> bool:
    """Whether a term is written as a name: every word but the joiners capitalised."""
    ws = re.findall(r"[^\W\d_][\w’'-]*", term)
    return len(ws) >= 2 and all(w[0].isupper() for w in ws if w.lower() not in _NAME_JOINERS)


def _holds_phrase(seq: tuple[str, ...], phrase: tuple[str, ...]) -> bool:
    n = len(phrase)
    return any(seq[i : i + n] == phrase for i in range(len(seq) - n + 1))


_QUESTION_NAME = re.compile(
    r"(?<!^)(?<![.?!]\s)\b[A-Z][\w'’-]*(?:\s+(?:of\s+|for\s+|the\s+|on\s+)*[A-Z][\w'’-]*)+"
)


def _question_names(question: str) -> list[list[str]]:
    """The question's names of two words or more, lower-cased, each with its shorter tails, longest
    first: "Commandant of the CIMIC Centre of Excellence" -> [that, "cimic centre of excellence",
    "centre of excellence"]."""
    out = []
    for m in _QUESTION_NAME.finditer(question.strip()):
        words = m.group(0).split()
        starts = [i for i, w in enumerate(words) if w[:1].isupper()]
        forms = [" ".join(words[i:]).lower() for i in starts if len(words) - i >= 2]
        if forms:
            out.append(forms)
    return out


def _of_year(text: str, span: tuple[int, int], asked: frozenset[str]) -> bool:
    """Whether the sentence of text[span] names one of the asked years, or no year at all."""
    stated = set(at.years(at.sentence(text, *span)))
    return not stated or bool(stated & asked)


def _anchors(text: str, stems: set[str]) -> list[tuple[int, int]]:
    return [
        (m.start(), m.end()) for m in _TOKEN.finditer(text) if _term(m.group(0).lower()) in stems
    ]


def _topic(question_text: str, covered: set[str]) -> str | None:
    """The longest run of the question's words that the passages cover, as the user wrote them."""
    tokens = list(re.finditer(r"[\w’'()-]+", question_text))
    best: tuple[int, int] | None = None
    start = None
    joiners = _NAME_JOINERS

    def close(i: int) -> None:  # the run ends before token i, without trailing joiners
        nonlocal best, start
        end = i
        while end > start and tokens[end - 1].group(0).strip("()").lower() in joiners:
            end -= 1
        if end > start and (best is None or end - start > best[1] - best[0]):
            best = (start, end)
        start = None

    for i, m in enumerate(tokens + [None]):
        # (a plural's possessive apostrophe is no part of the word: "… Perspectives' Executive …")
        word = m.group(0).strip("()").rstrip("'’").lower() if m else ""
        known = word in covered or (len(word) > 1 and all(p in covered for p in word.split("-")))
        # a question mark ends a run: "… guidance to? (NATO Military Policy …)" is two
        gap = question_text[tokens[i - 1].end() : m.start()] if m is not None and i else ""
        if start is not None and re.search(r"[?!]", gap):
            close(i)
        ok = m is not None and (known or (start is not None and word in joiners))
        if ok and start is None:
            start = i
        if not ok and start is not None:
            close(i)
    if best is None:
        return None
    first = best[0]
    # "Which countries have appointed a focal point?": the topic is the focal point, not the
    # participle after "have" ("mention appointed a …" read badly).
    while (
        first < best[1] - 1
        and first > 0
        and tokens[first - 1].group(0).lower() in _PERFECT
        and tokens[first].group(0).lower().endswith(("ed", "en"))
    ):
        first += 1
        while first < best[1] - 1 and tokens[first].group(0).lower() in joiners:
            first += 1
    # "What share of CIMIC staff …": the topic is the staff, not the form's noun ("mention share of").
    while (
        first < best[1] - 2
        and tokens[first].group(0).lower() in _FORM_NOUNS
        and tokens[first + 1].group(0).lower() == "of"
    ):
        first += 2
        while first < best[1] - 1 and tokens[first].group(0).lower() in joiners:
            first += 1
    topic = question_text[tokens[first].start() : tokens[best[1] - 1].end()]
    # A follow-up's topic in brackets ("… (Deep-Dive session on gender in CIMIC)") without them;
    # a name's own short form keeps its pair ("Joint Cooperation Exercise (JOCO)").
    topic = _unbracketed(topic).rstrip("'’")
    # "the Deep-Dive session", with the article the question gave it ("the next Deep-Dive session"),
    # unless the topic is the start of a longer name: "the NATO Secretary General" -> "NATO", not
    # "the NATO".
    last = tokens[best[1] - 1].group(0)
    if best[1] < len(tokens) and last[:1].isupper() and tokens[best[1]].group(0)[:1].isupper():
        return topic
    for back in (1, 2):
        if first >= back and tokens[first - back].group(0).lower() in ("the", "a", "an"):
            return f"{tokens[first - back].group(0).lower()} {topic}"
    return topic


def _unbracketed(text: str) -> str:
    """text without a bracket that pairs with none inside it, or one pair around all of it."""
    opened: list[int] = []
    unpaired: set[int] = set()
    for i, ch in enumerate(text):
        if ch == "(":
            opened.append(i)
        elif ch == ")":
            if opened:
                start = opened.pop()
                if start == 0 and i == len(text) - 1:
                    unpaired |= {0, i}
            else:
                unpaired.add(i)
    unpaired |= set(opened)
    return "".join(ch for i, ch in enumerate(text) if i not in unpaired).strip() or text


_PERFECT = frozenset(["have", "has", "had"])  # "… have *appointed* …": a participle follows
# Nouns that name what kind of answer a question wants ("What *share* of …", "the *number* of …")
_FORM_NOUNS = frozenset(
    ["share", "percentage", "proportion", "fraction", "ratio", "rate", "number", "amount"]
    + ["duration", "length", "frequency"]
)

# "X is …", "X refers to …", "X represents …": a sentence that says what X is, wherever it stands.
_DESCRIBING = frozenset(
    [
        "is",
        "are",
        "was",
        "were",
        "refers",
        "refer",
        "means",
        "mean",
        "defined",
        "describes",
        "denotes",
        "represents",
        "serves",
        "stands",
        "comprises",
        "consists",
        "encompasses",
    ]
)
# "the term X", "called X": a sentence that introduces a name says what it names
_INTRODUCING = [[w] for w in ("term", "termed", "called", "named", "dubbed", "labelled", "labeled")]
_ARTICLES = frozenset(("the", "a", "an", "“", '"'))
DESCRIBE_WITHIN = 6  # words from the term to its verb ("… concept within NATO represents")
_GLOSSED = re.compile(r"[A-Z][\w’'-]*(?:\s+[\w’'-]+){1,8}\s+\(([^()]{1,40})\)")
_WORD_OR_COMMA = re.compile(r"[^\W_]+|[,:]")
# ", Strategic Military Advisor to …": a comma, then an office's title (capitalised, ending in a role)
_APPOSITION = re.compile(
    r",\s+(?:the\s+|a\s+|an\s+)?(?:[A-Z][\w’'-]+\s+){0,4}"
    rf"(?:{at.OFFICE_TITLES}|Manager|Coordinator|Specialist|Expert|Researcher|Professor)\b"
)
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


def _contains(stems: list[str], alias: tuple[str, ...]) -> bool:
    n = len(alias)
    return any(tuple(stems[j : j + n]) == alias for j in range(len(stems) - n + 1))


def describes(
    text: str,
    aliases: list[tuple[str, ...]],
    known: frozenset[str] = frozenset(),
    heading: str = "",
) -> bool:
    """Whether text says what the term is: "Military doctrine is …", or a name glossed by it in
    brackets ("the NATO Policy for Civil-Military Cooperation (MC 411)")."""
    stop = _stopwords()
    # "the NATO Policy for Civil-Military Cooperation (MC 411)": a name glossed by its short form.
    # (Not when the question already gives that name: "What is a Civil-Military Operations Centre
    # (CMOC)?" is not answered by "Civil-Military Operations Centre (CMOC)".)
    for m in _GLOSSED.finditer(text):
        if tuple(terms(m.group(1))) in aliases and not set(terms(m.group(0))) <= known:
            return True
    # "… faced higher sexual and gender-based violence (SGBV) risks": a short form after the words
    # it abbreviates, in lower case as well (vocabulary.long_form, the Schwartz-Hearst test)
    for m in SHORT_FORM.finditer(text):
        short = m.group(1)
        if tuple(terms(short)) not in aliases:
            continue
        long = long_form(short, _SENTENCE_END.split(text[max(0, m.start() - 200) : m.start()])[-1])
        if long and not set(terms(long)) <= known:
            return True
    # A term named in full may be described under its shorter name ("the Digital CIMIC Handbook
    # … the CIMIC Handbook is …").
    stems_of_text = [_term(w) for w in words(f"{heading}\n{text}") if w not in stop]
    named = [a for a in aliases if _contains(stems_of_text, a)]
    forms = list(aliases) + [a[1:] for a in named if len(a) >= 3]
    for sentence in _SENTENCE_END.split(text):
        raw = _WORD_OR_COMMA.findall(sentence.lower())
        content = [(i, _term(w)) for i, w in enumerate(raw) if w not in ",:" and w not in stop]
        stems = [t for _, t in content]
        for alias in forms:
            n = len(alias)
            for j in range(len(stems) - n + 1):
                if tuple(stems[j : j + n]) != alias:
                    continue
                start, end = content[j][0], content[j + n - 1][0]
                before = [w for w in raw[max(0, start - 3) : start] if w not in _ARTICLES]
                if before[-1:] in _INTRODUCING or before[-2:] in (
                    ["known", "as"],
                    ["referred", "to"],
                    ["such", "as"],
                ):
                    # "proposed the term Domestic CIMIC to define …", "known as X", and an
                    # example of a kind ("exercises to practise CIMIC …, such as the JOCO")
                    return True
                after = [w for w in raw[end + 1 : end + 1 + DESCRIBE_WITHIN] if w not in ",:"]
                if any(w in _DESCRIBING for w in after) or raw[end + 1 : end + 2] == [":"]:
                    return True  # "X is …", "X refers to …", "Cyber Operation: “Actions in …”"
                # "Commander Tyson Nicholas, Strategic Military Advisor to UN Women": apposition
                if raw[end + 1 : end + 2] == [","]:
                    comma = [m.start() for m in re.finditer(",", sentence)][
                        raw[: end + 1].count(",")
                    ]
                    if _APPOSITION.match(sentence, comma):
                        return True
    return False


def _without_verb(question: Question) -> str | None:
    """The question with its verb left out (as written), or None when that changes nothing."""
    if not question.verb:
        return None
    verb = re.compile(rf"\b{re.escape(question.verb)}\b", re.IGNORECASE)
    without = " ".join(verb.sub(" ", question.text, count=1).split())
    return without if without and without != question.text else None


def _verb_meaning(
    data: IndexData, cands: Candidates, rows: list[int], without: np.ndarray
) -> float:
    """How much the question's verb adds to its closeness to the top passages' best sentence: that
    cosine less the cosine of the question without the verb (`without`, its vector)."""
    best, cos = None, -2.0
    for row in rows:
        lo, hi = int(data.sentence_rows[row]), int(data.sentence_rows[row + 1])
        if hi > lo:
            sims = data.sentence_vectors.dot(slice(lo, hi), cands.query_vector)
            i = int(np.argmax(sims))
            if sims[i] > cos:
                best, cos = lo + i, float(sims[i])
    if best is None:
        return 0.0
    return cos - float(data.sentence_vectors.dot(slice(best, best + 1), without)[0])


def _context_texts(data: IndexData, rows: list[int], query_vector: np.ndarray) -> list[str]:
    """The sentences of the passages in which a question's word is read: each passage's
    CONTEXT_SENTENCES closest to the question (a sentence is shorter to encode than its passage,
    and reads the word as well: see eval/README.md)."""
    out = []
    for row in rows:
        text = data.chunks[row].text
        lo, hi = int(data.sentence_rows[row]), int(data.sentence_rows[row + 1])
        if hi <= lo:
            out.append(text)
            continue
        sims = data.sentence_vectors.dot(slice(lo, hi), query_vector)
        for i in sorted(np.argsort(-sims)[:CONTEXT_SENTENCES]):
            _, start, end = (int(v) for v in data.sentences[lo + i])
            out.append(text[start:end])
    return out


def _in_context(text: str, forms: list[str | None], asked, passages: list) -> float | None:
    """How close a word of the question, read in the question, comes to any word of the
    passages, read in them: the best cosine of the model's last-layer token vectors (`asked`, the
    question's, and `passages`, onnx_query.TokenVectors). "Who *counsels* the chair …" finds
    "advises" there, as the words' vectors alone do not. `forms` are the forms to look for in
    the question (a misspelling's correction, then the word as written); None when no form is
    in it."""
    found = None
    for w in filter(None, forms):
        found = re.search(rf"\b{re.escape(w)}\b", text, re.IGNORECASE)
        if found:
            break
    if found is None:
        return None
    inside = [i for i, (a, b) in enumerate(asked.spans) if a >= found.start() and b <= found.end()]
    if not inside:
        return None
    v = asked.vectors[inside].mean(axis=0)
    v = v / max(float(np.linalg.norm(v)), 1e-12)
    return max((float((t.vectors @ v).max()) for t in passages if len(t.vectors)), default=None)


def _verb_in_context(
    data: IndexData, question: Question, verb: str, cands: Candidates, rows: list[int], encoder
) -> float | None:
    """For a verb the top passages lack: how close it comes to their words in context
    (_in_context, from one encoder run over the question and the closest sentences of the top
    CONTEXT_TOP passages), within [0, 1]; None when the encoder gives no token vectors."""
    context = _context_texts(data, rows[:CONTEXT_TOP], cands.query_vector)
    tokens = getattr(encoder, "token_vectors", None)
    got = tokens([question.text] + context) if tokens is not None and context else None
    if not got:
        return None
    value = _in_context(question.text, [verb, question.verb], got[0], got[1:])
    return None if value is None else min(1.0, max(0.0, value))


def _undecided(model: AbstentionModel | None, ev: Evidence) -> bool:
    """Whether the model's decision may hang on `predicate` (always, without a model)."""
    if model is None or "predicate" not in model.features:
        return True
    if model.coef[model.features.index("predicate")] < 0:
        return True  # (a fitted model keeps it at or above zero; a weight below would reverse it)
    return model.abstains(replace(ev, predicate=0.0)) != model.abstains(replace(ev, predicate=1.0))


def gather_evidence(
    data: IndexData,
    question: Question,
    cands: Candidates,
    encoder=None,
    top: int = TOP,
    decide: AbstentionModel | None = None,
) -> Evidence:
    """The features of the abstention decision for one question and its ranked candidates.

    Word vectors come from the candidates (embedded with the question); without them, `encoder`
    embeds the words the corpus lacks. With `decide`, the verb is read in context (one more
    encoder run) only when that can change the decision: the model's weight on `predicate` is
    never negative, so when it decides alike at 0 and at 1 it decides alike at any value between,
    and the word vectors' value stands (evaluation passes no model and gets every feature).
    """
    qw = cands.words or embed_question_words(data, question, encoder)
    rows = cands.rows[:top]
    if not rows:
        return Evidence(0.0, 0.0, 0.0, 0.0, 0.0, 1.0, 1.0, 1.0)
    dense = max(cands.dense.values(), default=0.0)
    # Coverage counts each question word by its specificity: "make" and "best" say little,
    # "sourdough" much; the best single passage among the top ones counts.
    qwords = [w for w in dict.fromkeys(content_words(question.text)) if len(w) > 1]
    weights = {w: specificity(data, w) for w in qwords}
    total = sum(weights.values())
    coverage = 0.0
    if total > 0:
        for row in rows[:COVERAGE_TOP]:
            present = _terms_of(data.chunks[row].search_text)
            coverage = max(
                coverage, sum(v for w, v in weights.items() if _term(w) in present) / total
            )

    focus_words = [w for w in question.focus if len(w) > 1]
    head_word, verb = question.head, question.verb
    if verb and verb not in data.vocabulary.word_counts:  # "defned" -> "defined"
        verb = data.vocabulary.correct(verb) or verb
        verb = None if at.is_form_verb(verb) else verb
    spec = {w: specificity(data, w) for w in focus_words}
    extra = [w for w in (head_word, verb) if w]
    cov = soft_coverage(data, qw, list(dict.fromkeys(focus_words + extra)), rows)
    head = cov[head_word] if head_word else 1.0
    predicate = cov[verb] if verb else 1.0
    verb_meaning = 0.0
    # a verb the passages lack: what it adds to the meaning, and (below) how it reads in context
    verb_missing = bool(verb) and predicate < 1.0 and encoder is not None
    if verb_missing:
        without = _without_verb(question)
        if without:
            verb_meaning = _verb_meaning(data, cands, rows, encoder.embed_query(without))
    if focus_words:
        weight = sum(spec.values())
        focus = sum(spec[w] * cov[w] for w in focus_words) / weight
        most = max(focus_words, key=lambda w: (spec[w], -cov[w]))
        focus_min = cov[most]
    else:
        focus, focus_min, most = 1.0, 1.0, None
    missing_word = min(focus_words, key=lambda w: (cov[w], -spec[w])) if focus_words else None
    if missing_word is not None and cov[missing_word] >= 1.0:
        missing_word = None

    # Answer types: an instance near the question's most specific words, in one of the top passages,
    # that says something the question does not already say.
    literal = {w for w in focus_words if cov[w] >= 1.0}
    # Anchors: the question's most specific words that the top passages hold literally.
    # (Ties go to the earlier word of the question: a set's order changes from run to run.)
    # (A word whose stem is a stop word anchors nothing: "human beings" -> "be", in every passage.)
    stop = _stopwords()
    by_specificity = sorted(
        (w for w in literal if _term(w) not in stop),
        key=lambda w: (-spec[w], focus_words.index(w)),
    )
    anchor_stems = {_term(w) for w in by_specificity[:ANCHORS]}
    # What the question already says, in either form of an acronym pair: "Civil-Military
    # Cooperation Centre" tells nothing new to "Which universities partner with the CIMIC Centre …?"
    expansion = cands.expansion
    if expansion is None:
        expansion = tuple(data.vocabulary.expand(question.text))
    known = frozenset(terms(question.text)) | frozenset(expansion)
    counted = question.counted
    # "Who is the current Commandant of …?": a name answers only beside that title
    title = at.holder_title(question.text) if at.NAMED in question.types else None
    title_word = (
        re.compile(rf"\b{re.sub('advis[oe]r', 'advis[oe]r', re.escape(title))}", re.I)
        if title
        else None
    )

    # A name of several words ("Joint Force Commands") is the phrase it is: a passage that holds
    # its words apart ("joint and combined forces … of command") does not name it. Names the top
    # passages hold as phrases ground the type check as the anchors do.
    names: list[str] = []
    question_names = _question_names(question.text)
    lowered = [data.chunks[r].text.lower() for r in rows] if question_names else []
    for forms in question_names:
        held = next((n for n in forms if any(n in low for low in lowered)), None)
        if held:
            names.append(held)

    asked_years = frozenset(at.years(question.text))
    future = at.FUTURE_DATE in question.types

    def found(kind: str) -> bool:
        for i, row in enumerate(rows):
            text = data.chunks[row].text
            far = cands.dense.get(row, 0.0) < dense - MEANING_MARGIN
            if names and far and not any(n in lowered[i] for n in names):
                continue
            spans = at.novel(at.instances(kind, text), text, known)
            if kind == at.COUNT and counted:
                spans = [sp for sp in spans if _counts_same(data, qw, counted, text[sp[0] : sp[1]])]
            anchors = _anchors(text, anchor_stems)
            # A passage that lacks one of the question's two most specific words ("Which countries
            # host NATO Centres of Excellence?" over a passage on host nations) grounds an answer
            # only when it is as close in meaning as the best one (a paraphrase's answer).
            named = {_term(text[s:e].lower()) for s, e in anchors}
            if named != anchor_stems and cands.dense.get(row, 0.0) < dense - MEANING_MARGIN:
                continue
            if asked_years and kind != at.DATE:
                # "In which city was the 2004 policy adopted?": an answer stated of another year
                # ("At the 2023 Vilnius Summit …") answers nothing of 2004
                spans = [sp for sp in spans if _of_year(text, sp, asked_years)]
            if future and kind != at.FUTURE_DATE:
                # "Where will the next session be held?": a place stated of the future answers it;
                # the places of sessions held before do not
                spans = [sp for sp in spans if at.speaks_of_future(at.sentence(text, *sp))]
            if kind == at.NAMED and title_word:
                spans = [sp for sp in spans if title_word.search(at.clause(text, *sp))]
            if kind == at.LIST and head_word:
                # "What are the phases of X?": the list, or the words that lead into it, name phases.
                spans = [
                    (a, b)
                    for a, b in spans
                    if _names(data, qw, head_word, text[max(0, a - NEAR_CHARS) : b])
                ]
            if at.near(spans, anchors, NEAR_CHARS):
                return True
        return False

    wanted = sorted(question.types & FACTOID_TYPES)
    missing_types = [kind for kind in wanted if not found(kind)]
    type_missing = len(missing_types) / len(wanted) if wanted else 0.0
    if at.NAMED in missing_types:
        # "Who is the current Chief …?": the name is the answer; a date beside no name (the
        # present that "current" asks of it) answers nothing
        type_missing = 1.0
    forms = sorted(question.types & FORM_TYPES)
    missing_forms = [kind for kind in forms if not found(kind)]
    cues = [kind for kind in forms if kind != at.LIST]
    form_missing = sum(k != at.LIST for k in missing_forms) / len(cues) if cues else 0.0
    list_missing = float(at.LIST in missing_forms)

    # "What is X?": 0 when a top passage defines X, 0.5 when they only name it, 1 when not even that.
    subject_missing = 0.0
    # (The short form's expansion is news to "What does SGBV stand for?": only the question's own
    # words are what it already says.)
    asked = frozenset(terms(question.text))
    aliases = term_aliases(question.term, data.vocabulary) if question.term else []
    if aliases and min(len(a) for a in aliases) <= 3:
        top_rows = rows[:COVERAGE_TOP]
        near_terms = frozenset().union(*(_terms_of(data.chunks[r].search_text) for r in top_rows))
        if not any(set(a) <= near_terms for a in aliases):
            subject_missing = 1.0
        elif not any(
            defines(data.chunks[r], aliases)
            or describes(data.chunks[r].text, aliases, asked, data.chunks[r].section or "")
            for r in top_rows
        ):
            subject_missing = 0.5
    elif aliases and _is_name(question.term):
        # A long name ("Comprehensive Approach Action Plan"): named only as the phrase it is, in
        # order; its words apart ("comprehensive approach", "action plan") name something else.
        top_rows = rows[:COVERAGE_TOP]
        if not any(
            _holds_phrase(_term_sequence(data.chunks[r].search_text), a)
            for r in top_rows
            for a in aliases
        ):
            subject_missing = 1.0
    # "… at its 2020 conference": a year the question names must be one the passages state.
    years = list(dict.fromkeys(at.years(question.text)))
    missing_years: list[str] = []
    if years:  # the passages' years are read only for a question that names one, and once
        stated = {y for r in rows[:COVERAGE_TOP] for y in at.years(data.chunks[r].text)}
        missing_years = [y for y in years if y not in stated]
    year_missing = len(missing_years) / len(years) if years else 0.0
    ev = Evidence(
        dense,
        coverage,
        focus,
        focus_min,
        head,
        type_missing,
        form_missing,
        subject_missing,
        missing_word=missing_word,
        missing_types=tuple(missing_types + missing_forms),
        asks_holder=at.NAMED in wanted,
        topic=_topic(question.text, literal),
        # "exercise in NATO terms" is named as "exercise", the way term_aliases reads it too
        term=term_head(question.term) if question.term else None,
        predicate=predicate,
        verb_meaning=verb_meaning,
        year_missing=year_missing,
        list_missing=list_missing,
        missing_year=missing_years[0] if missing_years else None,
        verb=verb,
        question=question.text,
    )
    # the verb read in context, when the passages lack it and that can change the decision
    if verb_missing and _undecided(decide, ev):
        in_context = _verb_in_context(data, question, verb, cands, rows, encoder)
        if in_context is not None:
            ev = replace(ev, predicate=in_context)
    return ev


_PAST_HOLDER = re.compile(
    r"\b(?:was|were|first|former|previous|founding|inaugural|outgoing)\b", re.IGNORECASE
)


def explain(ev: Evidence, model: AbstentionModel) -> str:
    """One plain sentence saying what the documents lack for this question, from the evidence."""
    if ev.dense < model.floor:  # the floor decided: no word-level reason is the reason
        return "The documents hold nothing close to this question in meaning."
    parts = model.contributions(ev)
    about = f"mention {ev.topic}" if ev.topic else "come close to this question"
    why = min(
        (
            "focus",
            "focus_min",
            "type_missing",
            "form_missing",
            "subject_missing",
            "predicate",
            "verb_meaning",
            "year_missing",
            "list_missing",
        ),
        key=lambda f: parts.get(f, 0.0),
    )
    if why == "year_missing" and ev.missing_year:
        if ev.topic:
            return f"The documents {about} but say nothing of {ev.missing_year}."
        return f"The documents say nothing of {ev.missing_year}."
    if why in ("predicate", "verb_meaning") and ev.verb and ev.predicate < 1.0:
        asked = at.asked_action(ev.question, ev.verb)
        if ev.topic:
            return f"The documents {about} but never say {asked}."
        return f"The documents never say {asked}."
    if ev.missing_types and (
        why in ("type_missing", "form_missing", "list_missing") or not ev.missing_word
    ):
        # "who holds it now" already asks for the present: a passage that names someone but
        # gives no date does not say who holds the office now either
        if ev.asks_holder or at.NAMED in ev.missing_types:
            rest = [t for t in ev.missing_types if t not in (at.NAMED, at.DATE, at.FUTURE_DATE)]
            also = f", nor any {' or '.join(at.TYPE_NOUN[t] for t in rest)}" if rest else ""
            # "Who was the first NATO gender advisor?" asks for a holder of the past
            held = "who held it" if _PAST_HOLDER.search(ev.question) else "who holds it now"
            if ev.topic:
                return f"The documents {about} but do not name {held}{also}."
            return f"The documents do not name {held}{also}."
        nouns = " or ".join(at.TYPE_NOUN[t] for t in ev.missing_types)
        if ev.topic:
            return f"The documents {about} but give no {nouns} for it."
        return f"The documents give no {nouns} that answers this question."
    if ev.missing_word and why in ("focus", "focus_min"):
        return (
            f"The documents {about} but say nothing about “{ev.missing_word}”."
            if ev.topic
            else f"The documents say nothing about “{ev.missing_word}”."
        )
    if ev.subject_missing:
        if not ev.term:
            return "The documents do not define or name this term."
        if ev.subject_missing < 1.0:  # the top passages name it without saying what it is
            return f"The documents mention “{ev.term}” but do not say what it is."
        return f"The documents neither define nor name “{ev.term}”."
    return "The documents hold no passage close enough to this question to answer it."
