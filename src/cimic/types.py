"""Frozen result types that carry their provenance: Document, Chunk, Passage, Answer."""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field

from .markup import plain


@dataclass(frozen=True)
class Document:
    """One corpus file: its exact text and the metadata a citation needs."""

    doc: str  # path relative to corpus_dir, forward slashes
    text: str
    sha256: str
    title: str
    source: str | None = None  # URL or publication the document states for itself
    publisher: str | None = None
    date: str | None = None
    content_start: int = 0  # text before this offset is page chrome, never indexed
    content_end: int | None = None
    page_starts: tuple[int, ...] = ()  # PDF: offset in text where each page starts
    page_labels: tuple[str, ...] = ()  # PDF: each page's printed label ("1-7"), else its number
    blocks: tuple[tuple[int, int, str, str], ...] = ()  # PDF: units (start, end, kind, number)
    classification: str | None = None  # PDF: the running classification banner

    def page_label(self, page: int | None) -> str | None:
        """The printed label of a 1-based page number (its number when it has none)."""
        if page is None:
            return None
        if 0 < page <= len(self.page_labels):
            return self.page_labels[page - 1]
        return str(page)

    def page_at(self, offset: int) -> int | None:
        """1-based page number of a text offset (None for documents without pages)."""
        if not self.page_starts:
            return None
        return bisect.bisect_right(self.page_starts, offset)

    @property
    def content_span(self) -> tuple[int, int]:
        """The (start, end) of the part of the text that carries content."""
        return self.content_start, len(self.text) if self.content_end is None else self.content_end


@dataclass(frozen=True)
class Chunk:
    """A retrievable unit: an exact span of one document plus structural metadata."""

    doc: str
    start: int
    end: int
    text: str
    section: str | None = None
    kind: str = "paragraph"  # paragraph | list | glossary
    source: str | None = None  # a glossary entry's own Source
    keywords: tuple[str, ...] = ()
    nato_agreed: bool = False
    entry: int | None = None  # glossary entry number, shared by the pieces of a split entry
    page: int | None = None  # PDF page the chunk starts on
    page_end: int | None = None  # PDF page it ends on
    para: str | None = None  # the paragraph number it belongs to ("1.12")

    @property
    def embed_text(self) -> str:
        """Text the encoder sees: section (entry name), passage as read (see markup.plain), key words."""
        parts = [self.section or "", plain(self.text), ", ".join(self.keywords)]
        return "\n".join(p for p in parts if p)

    @property
    def search_text(self) -> str:
        """Text the indexes see: the passage as read plus its section, source and key words."""
        extra = [self.section or "", " / ".join(self.keywords), self.source or ""]
        return "\n".join([plain(self.text), *[e for e in extra if e]])


@dataclass(frozen=True)
class Passage:
    """A verbatim quote answering a question, with where it stands and how it scored."""

    text: str
    doc: str
    title: str
    source: str | None
    section: str | None
    start: int
    end: int
    score: float
    highlights: list[tuple[int, int]] = field(default_factory=list)
    nato_agreed: bool = False
    kind: str = "paragraph"
    keywords: tuple[str, ...] = ()
    also_in: list[tuple[str, int, int]] = field(
        default_factory=list
    )  # (doc, start, end) of near-duplicates
    page: int | None = None
    pages: str | None = None  # printed page label(s): "p. 1-7" or "pp. 1-7–1-8"
    para: str | None = None  # paragraph number, as doctrine readers cite it
    classification: str | None = None  # the document's classification banner
    links: list[dict[str, str]] = field(default_factory=list)  # Markdown links: text and url

    def place(self) -> str:
        """Where in the document, for a citation: "para 1.12, pp. 1-7–1-8" (may be empty)."""
        return ", ".join(
            x for x in (f"para {self.para}" if self.para else "", self.pages or "") if x
        )

    def highlighted(self) -> list[str]:
        """The highlighted sentences as strings."""
        return [self.text[s:e] for s, e in self.highlights]

    def key_text(self) -> str:
        """The highlighted sentences on one line (whitespace folded): an answer's key sentence."""
        return " ".join(" ".join(h.split()) for h in self.highlighted())

    def to_dict(self) -> dict:
        """A JSON-ready dict of every field."""
        return {
            "text": self.text,
            "doc": self.doc,
            "title": self.title,
            "source": self.source,
            "section": self.section,
            "start": self.start,
            "end": self.end,
            "score": round(self.score, 6),
            "highlights": [list(h) for h in self.highlights],
            "nato_agreed": self.nato_agreed,
            "kind": self.kind,
            "keywords": list(self.keywords),
            "also_in": [{"doc": d, "start": s, "end": e} for d, s, e in self.also_in],
            "page": self.page,
            "pages": self.pages,
            "para": self.para,
            "classification": self.classification,
            "links": [dict(link) for link in self.links],
        }


@dataclass(frozen=True)
class Answer:
    """What `Assistant.ask` returns: ranked passages, or an abstention with weak matches."""

    question: str
    query: str
    passages: list[Passage]
    abstained: bool
    message: str
    weak_matches: list[Passage] = field(default_factory=list)

    def to_markdown(self) -> str:
        """The answer as Markdown: the question, the quoted passages and their citations."""
        lines = [f"## {self.question}", ""]
        if self.query != self.question:
            lines += [f"*Searched for: {self.query}*", ""]
        shown = self.passages
        if self.abstained:
            lines += [self.message, ""]
            shown = self.weak_matches
            if shown:
                lines += ["Weak matches (they may not answer the question):", ""]
        for n, p in enumerate(shown, start=1):
            where = p.title + (f", {p.section}" if p.section else "")
            agreed = " (NATO agreed)" if p.nato_agreed else ""
            lines += [f"**[{n}] {where}**{agreed}", ""]
            lines += ["> " + line if line.strip() else ">" for line in p.text.splitlines()]
            cite = f"{p.doc}, characters {p.start}–{p.end}" + (
                f", {p.place()}" if p.place() else ""
            )
            cite += f" [{p.classification}]" if p.classification else ""
            lines += ["", f"Source: {cite}" + (f"; {p.source}" if p.source else ""), ""]
        return "\n".join(lines).rstrip() + "\n"

    def to_dict(self) -> dict:
        """A JSON-ready dict of every field."""
        return {
            "question": self.question,
            "query": self.query,
            "abstained": self.abstained,
            "message": self.message,
            "passages": [p.to_dict() for p in self.passages],
            "weak_matches": [p.to_dict() for p in self.weak_matches],
        }
