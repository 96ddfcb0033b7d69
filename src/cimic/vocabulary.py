"""The corpus's own vocabulary, learnt at index time: acronym pairs and known words for typos.

"Civil-Military Interaction (CMI)" teaches that CMI and civil-military interaction are one thing,
so a query with either finds passages with the other. Words of the corpus let a misspelt query
word ("cooperaton") be read as the corpus word one edit away ("cooperation"); a real English word
(one the model's tokenizer or pyspellchecker's word list knows) is never read as a typo.
"""

from __future__ import annotations

import json
import logging
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import pairwise

from .lexical import _stopwords, terms, tokens, words

log = logging.getLogger(__name__)

# "Long Form Words (LFW)": a parenthesised short form of 2-12 characters with capitals.
SHORT_FORM = re.compile(r"\(([A-Z][A-Za-z]*(?:-[A-Za-z]+)?[A-Z][A-Za-z]*s?)\)")
_WORD_SPLIT = re.compile(r"[\s\-–]+")
MIN_TYPO_LEN = 5
MAX_VECTOR_WORDS = 200_000  # word vectors kept per index (float16, 768 bytes each)


def long_form(short: str, before: str) -> str | None:
    """Schwartz & Hearst (2003): the shortest text before '(short)' whose letters spell short."""
    short = short[:-1] if short.endswith("s") and short[:-1].isupper() and len(short) > 2 else short
    letters = [c.lower() for c in short if c.isalnum()]
    words_before = before.split()
    window = " ".join(words_before[-min(len(letters) + 5, len(letters) * 2) :])
    s, pos = len(letters) - 1, len(window) - 1
    while s >= 0:
        c = letters[s]
        while pos >= 0 and (
            window[pos].lower() != c or (s == 0 and pos > 0 and window[pos - 1].isalnum())
        ):
            pos -= 1
        if pos < 0:
            return None
        pos -= 1
        s -= 1
    start = window.rfind(" ", 0, pos + 1) + 1
    head = window[:start].split()
    # "Office of Primary Responsibility (OPR)": S&H stops at "of"; the capitalised word before it
    # that starts with the same letter is the real beginning.
    first = window[start:].split(" ", 1)[0]
    if head and first.lower() in _stopwords() and head[-1][:1].lower() == first[:1].lower():
        start -= len(head[-1]) + 1
    long = window[start:].strip()
    long = re.sub(r"^\W+|[^\w)]+$", "", long)
    n_words = len([w for w in _WORD_SPLIT.split(long) if w])
    if n_words < 2 or len(long) <= len(short):
        return None
    return long


def learn_acronyms(texts: Iterable[str]) -> dict[str, str]:
    """Short form -> its most frequent long form, as the texts define them."""
    seen: dict[str, Counter] = {}
    for text in texts:
        for m in SHORT_FORM.finditer(text):
            short = m.group(1)
            long = long_form(short, text[max(0, m.start() - 200) : m.start()])
            if long:
                seen.setdefault(short, Counter())[long] += 1
    return {short: forms.most_common(1)[0][0] for short, forms in sorted(seen.items())}


@lru_cache(maxsize=1)
def english_words() -> frozenset[str]:
    """Real English words, read once: the whole words the packaged model's tokenizer knows (about
    22,000) and pyspellchecker's English word list (about 160,000, 0.15 s to read).

    A real word is no typo, even when the corpus lacks it: "wealth" is not a misspelt "health",
    nor "might" a misspelt "right", nor "wield" a misspelt "field". A source that cannot be read is
    reported once and the other still guards; with neither, typo correction is unguarded.
    """
    out: set[str] = set()
    try:
        from .embedding import packaged_model_path
        from .onnx_query import whole_words

        path = packaged_model_path() / "tokenizer.json"
        out.update(whole_words(json.loads(path.read_text(encoding="utf-8"))["model"]["vocab"]))
    except Exception as exc:  # noqa: BLE001 - any failure leaves the other list guarding
        log.warning("typo correction cannot read the tokenizer's words: %s", exc)
    out.update(english_frequencies("typo correction"))
    return frozenset(out)


def english_frequencies(purpose: str) -> Mapping[str, int]:
    """pyspellchecker's English word list, each word with its frequency (0.15 s to read; not kept,
    callers keep what they need); empty, with a warning naming `purpose`, when it cannot be read."""
    try:
        from spellchecker import SpellChecker

        return SpellChecker(language="en", distance=1).word_frequency.dictionary
    except Exception as exc:  # noqa: BLE001 - its callers go on with the tokenizer's words
        log.warning("%s cannot read pyspellchecker's English words: %s", purpose, exc)
        return {}


def _edits(word: str, letters: str) -> set[str]:
    """Every string one insertion, deletion, substitution or adjacent swap away from word."""
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    out = {a + b[1:] for a, b in splits if b}
    out |= {a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1}
    out |= {a + c + b[1:] for a, b in splits if b for c in letters}
    out |= {a + c + b for a, b in splits for c in letters}
    return out


def is_acronym(token: str) -> bool:
    """Whether a word as written is an acronym ("OPLAN", "NCGP"): a name, never a misspelling."""
    return len(token) >= 2 and token.isupper()


# -- the case the corpus writes its names in ------------------------------------------------------

_CASE_TOKEN = re.compile(r"[^\W\d_][\w-]*")
# Words that link the capitalised words of one name ("Office *of the* Gender Advisor").
_LINK_WORDS = frozenset(["of", "for", "and", "the", "on", "in", "to"])
# Short words that some corpus writes in capitals ("AM 86-1-1", "IS") but a question means as words.
_FUNCTION_WORDS = frozenset(
    ["am", "an", "as", "at", "be", "by", "do", "go", "he", "if", "in", "is", "it", "me", "my"]
    + ["no", "of", "on", "or", "so", "to", "up", "us", "we"]
)
# Words that open a sentence without opening a name ("*At* SHAPE in Mons", "*As* NATO …").
_OPENERS = _FUNCTION_WORDS | frozenset(
    ["a", "all", "also", "although", "after", "any", "because", "before", "both", "but", "during"]
    + ["each", "every", "for", "from", "have", "the", "its", "many", "most", "our", "since"]
    + ["some", "such", "that", "their", "there", "these", "this", "those", "though", "thus"]
    + ["under", "when", "where", "which", "while", "with", "within"]
)
MAX_NAME_WORDS = 6  # longest capitalised phrase kept whole ("Office of Primary Responsibility")
MAX_CASED = 100_000  # names and acronyms kept per index, most frequent first (a few MB)
# a word the corpus writes capitalised this often (not at a sentence start) is a name
NAME_SHARE = 0.9


_CAPITALISED = r"[A-ZÀ-ÖØ-Þ][\w-]*"
_NAME_RUN = re.compile(
    rf"{_CAPITALISED}(?:[ \t]+(?:(?:{'|'.join(sorted(_LINK_WORDS))})[ \t]+)*{_CAPITALISED})*"
)


def _sentence_start(text: str, at: int) -> bool:
    return at == 0 or re.search(r"(?:^|[.!?:•\-–\n\"“])\s*$", text[max(0, at - 3) : at]) is not None


def learn_case(texts: Iterable[str]) -> dict[str, str]:
    """Lower-case form -> the form the corpus writes, for its acronyms, its names and the
    capitalised phrases of two words or more ("nato" -> "NATO", "verbanck" -> "Verbanck", "belgian
    civil-military engagement group" -> "Belgian Civil-Military Engagement Group").

    A word at the start of a sentence says nothing of its case and is not counted. A single word
    is kept when it is mostly written in capitals (an acronym, not a short function word) or
    almost always capitalised and no English word ("Verbanck", not "Office").
    """
    # the capitalised forms of a word, where it is no sentence's first
    forms: dict[str, Counter] = {}
    total: Counter = Counter()  # every occurrence of each word, in any case
    initial: Counter = Counter()  # ... of which at the start of a sentence, capitalised
    phrases: Counter = Counter()
    for text in texts:
        total.update(_CASE_TOKEN.findall(text.lower()))
        for m in _NAME_RUN.finditer(text):  # capitalised words, linked by "of", "the" …
            run = m.group(0).split()
            first = 0
            if _sentence_start(text, m.start()):  # its first word says nothing of its case
                initial[run[0].lower()] += 1
                if run[0].lower() in _OPENERS:  # "*At* SHAPE in Mons" opens no name
                    run = run[1:]
                else:
                    first = 1
            for token in run[first:]:
                if token not in _LINK_WORDS:
                    forms.setdefault(token.lower(), Counter())[token] += 1
            for i in range(len(run)):
                for j in range(i + 2, min(len(run), i + MAX_NAME_WORDS) + 1):
                    if run[i] not in _LINK_WORDS and run[j - 1] not in _LINK_WORDS:
                        phrases[" ".join(run[i:j])] += 1
    english = english_words()
    out: dict[str, tuple[int, str]] = {}
    for word, counts in forms.items():
        best, n = counts.most_common(1)[0]
        seen = total[word] - initial[word]
        acronym = best.isupper() and len(best) >= 2 and n * 2 > seen
        if (acronym and word not in _FUNCTION_WORDS) or (
            n >= NAME_SHARE * seen and word not in english
        ):
            out[word] = (n, best)
    for phrase, n in phrases.items():
        out.setdefault(phrase.lower(), (n, phrase))
    kept = sorted(out.items(), key=lambda kv: (-kv[1][0], kv[0]))[:MAX_CASED]
    return {lower: form for lower, (_, form) in sorted(kept)}


@dataclass
class Vocabulary:
    """Acronym pairs and word counts of one index, with the look-ups a query needs."""

    acronyms: dict[str, str] = field(default_factory=dict)
    word_counts: dict[str, int] = field(default_factory=dict)
    vector_words: list[str] = field(default_factory=list)  # rows of the index's word vectors
    # learn_case: names as the corpus writes them
    cased: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.total_words = sum(self.word_counts.values())
        self._by_short = {s.lower(): long for s, long in self.acronyms.items()}
        self._by_long = {tuple(terms(long)): s for s, long in self.acronyms.items()}
        # Typos are corrected by generating an unknown word's one-edit variants over the corpus's
        # letters and looking them up (no structure over the vocabulary: a library's long tail of
        # rare words costs no memory or load time here).
        self._letters = "".join(sorted({c for w in self.word_counts for c in w}))

    @classmethod
    def learn(cls, texts: list[str]) -> Vocabulary:
        """Learn from the indexed texts."""
        counts = Counter(w for t in texts for w in words(t))
        return cls(learn_acronyms(texts), dict(counts), cased=learn_case(texts))

    def truecase(self, text: str) -> str:
        """A question typed all in lower case, with the corpus's names written as the corpus
        writes them ("who heads aco" -> "who heads ACO"), so that what reads names and acronyms
        by their capitals reads them; any other text is returned as it is."""
        if not self.cased or any(c.isupper() for c in text):
            return text
        toks = list(_CASE_TOKEN.finditer(text))
        out, last, k = [], 0, 0
        while k < len(toks):
            n = min(MAX_NAME_WORDS, len(toks) - k)
            while n >= 1:  # the longest name first
                span = toks[k : k + n]
                if all(text[a.end() : b.start()] == " " for a, b in pairwise(span)):
                    form = self.cased.get(" ".join(t.group(0) for t in span))
                    if form:
                        out += [text[last : span[0].start()], form]
                        last, k = span[-1].end(), k + n
                        break
                n -= 1
            else:
                k += 1
        return "".join(out) + text[last:]

    def correct(self, word: str) -> str | None:
        """The most frequent corpus word one edit away from an unknown word, if any."""
        if word in self.word_counts or len(word) < MIN_TYPO_LEN or not word.isalpha():
            return None
        if word in english_words():  # a real word the corpus lacks, not a misspelt one it has
            return None
        candidates = {
            w
            for w in _edits(word, self._letters)
            if len(w) >= MIN_TYPO_LEN - 1 and w in self.word_counts
        }
        if not candidates:
            return None
        return max(sorted(candidates), key=lambda w: self.word_counts[w])

    def expand(self, query: str) -> list[str]:
        """Extra index terms for a query: the other form of each acronym pair, typo corrections."""
        extra: list[str] = []
        stop = _stopwords()
        qwords = words(query)
        for token in re.findall(r"[A-Za-z][\w\-]*", query):
            long = self._long_form(token)
            if long:
                extra += terms(long)
        qterms = terms(query)
        for long_terms, short in self._by_long.items():
            n = len(long_terms)
            if n and any(
                tuple(qterms[i : i + n]) == long_terms for i in range(len(qterms) - n + 1)
            ):
                extra += terms(short)
        acronyms = {t.lower() for t in tokens(query) if is_acronym(t)}
        for w in qwords:
            if w not in stop and w not in acronyms:
                fixed = self.correct(w)
                if fixed:
                    extra += terms(fixed)
        return [t for t in dict.fromkeys(extra) if t not in qterms]

    def _long_form(self, token: str) -> str | None:
        """The long form of an acronym pair's short one as written in capitals ("CMI", "Bi-SC")."""
        long = self._by_short.get(token.lower())
        if long and (token.isupper() or any(c.isupper() for c in token[1:])):
            return long
        return None

    def swapped(self, text: str) -> tuple[str, ...]:
        """The index terms of text with each acronym pair's other form in place, the rest kept.

        "CIMIC liaison officer" -> civil military cooperation liaison officer; "civil-military
        cooperation centre" -> cimic centre. Empty when text names no pair.
        """
        out: list[str] = []
        changed = False
        own = set(terms(text))
        for token in re.findall(r"[A-Za-z][\w\-]*|[^A-Za-z]+", text):
            long = self._long_form(token)
            if long:
                if not set(terms(long)) <= own:  # "… interaction (CMI)" already gives both
                    out += terms(long)
                    changed = True
            else:
                out += terms(token)
        if not changed:
            for long_terms, short in sorted(self._by_long.items(), key=lambda kv: -len(kv[0])):
                n = len(long_terms)
                for i in range(len(out) - n + 1):
                    if n and tuple(out[i : i + n]) == long_terms:
                        out[i : i + n] = terms(short)
                        changed = True
                        break
        return tuple(out) if changed else ()

    def to_dict(self) -> dict:
        """JSON-ready form for the index."""
        return {
            "acronyms": self.acronyms,
            "word_counts": self.word_counts,
            "vector_words": self.vector_words,
            "cased": self.cased,
        }

    def words_to_embed(self, limit: int = MAX_VECTOR_WORDS) -> list[str]:
        """Words that get a vector at index time: the most frequent alphabetic non-stopwords."""
        stop = _stopwords()
        keep = [w for w in self.word_counts if len(w) > 2 and w.isalpha() and w not in stop]
        keep.sort(key=lambda w: (-self.word_counts[w], w))
        return sorted(keep[:limit])


def _one_edit(a: str, b: str) -> bool:
    """Whether a and b differ by one insertion, deletion, substitution or adjacent swap."""
    if a == b:
        return True
    if len(a) == len(b):
        diff = [i for i in range(len(a)) if a[i] != b[i]]
        return len(diff) == 1 or (
            len(diff) == 2
            and diff[1] == diff[0] + 1
            and a[diff[0]] == b[diff[1]]
            and a[diff[1]] == b[diff[0]]
        )
    if len(a) > len(b):
        a, b = b, a
    i = 0
    while i < len(a) and a[i] == b[i]:
        i += 1
    return a[i:] == b[i + 1 :]
