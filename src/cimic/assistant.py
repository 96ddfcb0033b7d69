"""Assistant: the facade that app.py, the CLI and other tools hold. It wires the stages."""

from __future__ import annotations

import logging
import threading
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from pathlib import Path

from .abstention import AbstentionModel, Evidence, gather_evidence
from .answer import build_answer
from .answer_types import load_lexicon
from .chunking import chunker_settings
from .conversation import MAYBE, rewrite
from .documents import load_corpus
from .embedding import DEFAULT_MODEL, Encoder, load_encoder
from .errors import CimicError, IndexMissingError, QueryError
from .indexing import RebuildReport, build_index
from .onnx_query import one_blas_thread
from .questions import read_question
from .retrieval import FUSION_METHODS, Candidates, embed_question_words, search
from .store import CURRENT, IndexData, check_compatible, current_generation, load_generation
from .types import Answer, Document
from .vocabulary import english_words

log = logging.getLogger("cimic")

MAX_QUESTION_CHARS = 2000
MAX_K = 50
FOLLOW_UP_MARGIN = 0.05  # the plain question's answer probability must beat the rewrite's by this
DEFAULT_FUSION = "weighted"  # measured against rrf on the dev set: see README


def clean_question(question: str) -> str:
    """The question with control and invisible formatting characters removed; QueryError if unusable."""
    if not isinstance(question, str):
        raise QueryError("the question must be text")
    if len(question) > MAX_QUESTION_CHARS:
        raise QueryError(
            f"the question is {len(question):,} characters long; ask in at most {MAX_QUESTION_CHARS:,}"
        )
    cleaned = "".join(
        " " if ch in "\t\n\r" else ch
        for ch in question.encode("utf-8", "replace").decode("utf-8")
        if ch in "\t\n\r"
        or (
            ch.isprintable() and not 0x202A <= ord(ch) <= 0x202E and not 0x2066 <= ord(ch) <= 0x2069
        )
    )
    cleaned = " ".join(cleaned.split())
    if not cleaned:
        raise QueryError("the question is empty; type a question about the documents")
    return cleaned


@dataclass(frozen=True)
class Retrieval:
    """What a question found before the abstention decision."""

    question: str
    query: str
    data: IndexData
    candidates: Candidates
    evidence: Evidence
    probability: float  # that the candidates answer the question, by the abstention model


# Read in full (with the verb read in context) by `Assistant.warm`; any question would do.
WARM_QUESTION = "Who reviewed the plans that the committee adopted?"


class Assistant:
    """Answers questions with verbatim, cited passages from the documents of corpus_dir."""

    def __init__(
        self,
        corpus_dir: Path,
        index_dir: Path,
        encoder: Encoder,
        data: IndexData,
        fusion: str = DEFAULT_FUSION,
        abstention: AbstentionModel | None = None,
    ):
        self.corpus_dir = corpus_dir
        self.index_dir = index_dir
        self.encoder = encoder
        self.fusion = fusion
        self.abstention = abstention or AbstentionModel.load()
        self._data = data
        self._rebuild_lock = threading.Lock()
        self._reload_lock = threading.Lock()
        self._failed_generation: str | None = None

    @classmethod
    def open(
        cls,
        corpus_dir: str | Path = "corpus",
        index_dir: str | Path = "index",
        model: str = DEFAULT_MODEL,
        fusion: str = DEFAULT_FUSION,
        update: bool = True,
        encoder: Encoder | None = None,
        progress: bool = False,
        abstention: AbstentionModel | None = None,
    ) -> Assistant:
        """Load the index; with update=True, build or update it first when the corpus has changed."""
        if fusion not in FUSION_METHODS:
            raise CimicError(f"unknown fusion {fusion!r}; use one of {', '.join(FUSION_METHODS)}")
        corpus_dir, index_dir = Path(corpus_dir), Path(index_dir)
        encoder = encoder or load_encoder(model, index_dir=index_dir)
        data = None
        try:
            data = load_generation(current_generation(index_dir))
            check_compatible(data.manifest, encoder, chunker_settings())
        except IndexMissingError:
            if not update:
                raise
        except CimicError:
            if not update:
                raise
            data = None  # an unusable index is rebuilt in full below
        if update:
            corpus = load_corpus(corpus_dir)
            report = build_index(
                corpus_dir, index_dir, encoder, data, progress=progress, corpus=corpus
            )
            if report.published:
                data = load_generation(current_generation(index_dir))
        assert data is not None
        use_onnx = getattr(encoder, "use_onnx", None)
        if use_onnx is not None:
            use_onnx(index_dir)
        return cls(corpus_dir, index_dir, encoder, data, fusion, abstention)

    def current(self) -> IndexData:
        """The generation to answer from: the published one, loaded when a rebuild publishes anew.

        Questions in flight keep the generation they started with; a generation that fails to load
        is reported once and the last good one keeps serving.
        """
        try:
            name = (self.index_dir / CURRENT).read_text(encoding="utf-8").strip()
        except OSError:
            return self._data
        if name in (self._data.path.name, self._failed_generation):
            return self._data
        if not self._reload_lock.acquire(blocking=False):
            return self._data  # another thread is loading it; answer from the last one meanwhile
        try:
            if name != self._data.path.name:
                data = load_generation(self.index_dir / name)
                check_compatible(data.manifest, self.encoder, chunker_settings())
                self._data = data
        except CimicError as exc:
            self._failed_generation = name
            log.warning(
                "not serving index generation %s: %s; the previous one keeps serving", name, exc
            )
        finally:
            self._reload_lock.release()
        return self._data

    @property
    def manifest(self) -> dict:
        """Manifest of the generation being served."""
        return self.current().manifest

    def documents(self) -> list[Document]:
        """The indexed documents."""
        return list(self._data.documents.values())

    def document(self, doc: str) -> Document:
        """One indexed document by its relative path; its text is what passages' offsets point into."""
        try:
            return self._data.documents[doc]
        except KeyError:
            raise CimicError(
                f"no document {doc!r} in the index; see `cimic status` for the list"
            ) from None

    def retrieve(
        self,
        question: str,
        history: Sequence[str] | None = None,
        docs: Collection[str] | None = None,
        full_evidence: bool = False,
    ) -> Retrieval:
        """The ranked candidates of a question and the evidence of the abstention decision.

        `ask` is this plus the decision and the passages; evaluation calls it to score rankings and
        refit the decision without asking twice, with `full_evidence` (every feature read, even
        one the shipped decision does not hang on).
        """
        question = clean_question(question)
        past = [clean_question(h) for h in (history or []) if isinstance(h, str) and h.strip()][
            -10:
        ]
        with one_blas_thread():  # a question's products are small: see one_blas_thread
            # one generation for the whole question, even if a rebuild publishes
            data = self.current()
            plan = rewrite(question, past)
            options = [plan.query] if plan.dependence != MAYBE else [plan.query, question]
            best = None
            for query in options:
                # typed all in lower case: the corpus's names read with their capitals
                text = data.vocabulary.truecase(query) if question.islower() else query
                parsed = read_question(text)
                # The question in one encoder run; the few of its words the corpus lacks in one
                # more, short one (padded to the longest word, not to the question), shared by
                # retrieval and the abstention evidence.
                words = embed_question_words(data, parsed, self.encoder)
                cands = search(
                    data, self.encoder.embed_query(text), parsed, self.fusion, docs, words=words
                )
                # (one reading only: the verb in context when the decision can hang on it;
                # two readings are compared by their probability, which needs every feature)
                decide = None if full_evidence or len(options) > 1 else self.abstention
                ev = gather_evidence(data, parsed, cands, self.encoder, decide=decide)
                p = self.abstention.probability(ev)
                # Language was unsure: drop the conversation only if the plain question is
                # answered better.
                if best is None or p > best.probability + FOLLOW_UP_MARGIN:
                    best = Retrieval(question, query, data, cands, ev, p)
        return best

    def ask(
        self,
        question: str,
        history: Sequence[str] | None = None,
        k: int = 5,
        docs: Collection[str] | None = None,
    ) -> Answer:
        """Answer a question with at most k cited passages; history is the earlier questions, oldest first."""
        if not isinstance(k, int) or not 1 <= k <= MAX_K:
            raise QueryError(f"k must be a whole number from 1 to {MAX_K}")
        with one_blas_thread():
            r = self.retrieve(question, history, docs)
            return build_answer(
                r.question, r.query, r.data, r.candidates, k, r.evidence, self.abstention
            )

    def warm(self) -> None:
        """Load what a first question would wait for, so that no user pays for it; answers nothing.

        On first use a question's reading loads the spelling word list (about 0.15 s here) and
        the part-of-speech lexicon (about 0.14 s), and the encoder's runtime sizes its buffers.
        A server calls this once after opening, in the background.
        """
        english_words()
        load_lexicon()
        self.retrieve(WARM_QUESTION, full_evidence=True)  # (one BLAS thread, as retrieve sets)

    def rebuild(self, progress: bool = False) -> RebuildReport:
        """Re-read corpus_dir, update index_dir (only what changed), and serve the new index."""
        with self._rebuild_lock:
            report = build_index(
                self.corpus_dir, self.index_dir, self.encoder, self._data, progress=progress
            )
            if report.published:
                self._data = load_generation(current_generation(self.index_dir))
            return report

    def stale(self) -> bool:
        """Whether corpus_dir differs from what the served index was built from."""
        corpus = load_corpus(self.corpus_dir)
        built = {d: v["sha256"] for d, v in self.manifest.get("documents", {}).items()}
        return built != {d.doc: d.sha256 for d in corpus.documents}
