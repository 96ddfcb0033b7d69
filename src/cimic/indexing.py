"""Corpus -> a published index generation: chunk, embed what changed, build both indexes, publish."""

from __future__ import annotations

import contextlib
import platform
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

import numpy as np

from .chunking import chunk_document, chunker_settings, sentence_spans
from .dense import ANN_THRESHOLD, ivf_lists, nprobe_for
from .documents import Corpus, Skipped, load_corpus
from .embedding import Encoder
from .errors import CimicError
from .lexical import LexicalIndex, analyzer_settings
from .markup import plain
from .store import (
    IndexData,
    QuantizedVectors,
    build_lock,
    current_generation,
    load_generation,
    model_mismatch,
    write_generation,
)
from .types import Chunk
from .vocabulary import Vocabulary

EMBED_BATCH = 65_536  # texts embedded per call during a build (bounds the memory of a large build)


@dataclass(frozen=True)
class RebuildReport:
    """What a rebuild changed."""

    added: tuple[str, ...] = ()
    changed: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    unchanged: tuple[str, ...] = ()
    skipped: tuple[Skipped, ...] = ()
    catalog_problems: tuple[str, ...] = ()
    chunks: int = 0
    chunks_embedded: int = 0
    sentences_embedded: int = 0
    full: bool = True
    reason: str = ""
    generation: str = ""
    seconds: float = 0.0
    published: bool = field(default=True)

    def summary(self) -> str:
        """One readable paragraph for the CLI."""
        lines = [
            f"{'full' if self.full else 'incremental'} build"
            + (f" ({self.reason})" if self.reason else "")
            + f": {len(self.added)} added, {len(self.changed)} changed, {len(self.removed)} removed, "
            f"{len(self.unchanged)} unchanged; {self.chunks_embedded} of {self.chunks} chunks embedded "
            f"in {self.seconds:.1f} s",
        ]
        if self.published:
            lines.append(f"published generation {self.generation}")
        else:
            lines.append("index already up to date; nothing published")
        for s in self.skipped:
            lines.append(f"skipped {s.path}: {s.reason}")
        lines += [f"catalog: {p}" for p in self.catalog_problems]
        return "\n".join(lines)

    def to_dict(self) -> dict:
        """JSON-ready form."""
        return {
            "added": list(self.added),
            "changed": list(self.changed),
            "removed": list(self.removed),
            "unchanged": list(self.unchanged),
            "skipped": [{"path": s.path, "reason": s.reason} for s in self.skipped],
            "catalog_problems": list(self.catalog_problems),
            "chunks": self.chunks,
            "chunks_embedded": self.chunks_embedded,
            "sentences_embedded": self.sentences_embedded,
            "full": self.full,
            "reason": self.reason,
            "generation": self.generation,
            "published": self.published,
            "seconds": round(self.seconds, 3),
        }


def _versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for pkg in ("cimic-assistant", "faiss-cpu", "bm25s", "sentence-transformers", "torch", "numpy"):
        with contextlib.suppress(metadata.PackageNotFoundError):
            out[pkg] = metadata.version(pkg)
    return out


def _progress_bar(total: int, enabled: bool) -> Callable[[int], None] | None:
    if not enabled or total == 0:
        return None
    from tqdm import tqdm

    bar = tqdm(total=total, desc="embedding", unit="text", file=sys.stderr, leave=False)

    def update(n: int) -> None:
        bar.update(n)
        if bar.n >= total:
            bar.close()

    return update


def reusable(previous: IndexData | None, encoder: Encoder) -> tuple[bool, str]:
    """Whether vectors of a previous generation can be reused, and if not, why."""
    if previous is None:
        return False, "no previous index"
    reason = model_mismatch(previous.manifest, encoder)
    if reason:
        return False, reason
    if previous.manifest.get("chunker") != chunker_settings():
        return False, "chunker settings changed"
    return True, ""


def _word_vectors(
    vocabulary: Vocabulary, encoder: Encoder, previous: IndexData | None
) -> np.ndarray:
    """Vectors of the vocabulary's words (float16), reusing those a previous generation embedded."""
    words = vocabulary.words_to_embed()
    vocabulary.vector_words = words
    out = np.zeros((len(words), encoder.dim), dtype=np.float16)
    old = previous.word_index if previous is not None and previous.word_vectors is not None else {}
    todo, kept, kept_from = [], [], []
    for i, w in enumerate(words):
        j = old.get(w)
        if j is None:
            todo.append(i)
        else:
            kept.append(i)
            kept_from.append(j)
    if kept:
        out[kept] = previous.word_vectors.rows(np.array(kept_from)).astype(np.float16)
    if todo:
        out[todo] = encoder.embed_documents([words[i] for i in todo]).astype(np.float16)
    return out


def build_index(
    corpus_dir: Path,
    index_dir: Path,
    encoder: Encoder,
    previous: IndexData | None = None,
    progress: bool = False,
    corpus: Corpus | None = None,
) -> RebuildReport:
    """Chunk the corpus, embed new and changed documents, and publish a new generation.

    Builds are serialised by a lock in index_dir; a build that waited starts from the index the
    other one published.
    """
    with build_lock(index_dir):
        try:
            published = current_generation(index_dir)
            if previous is None or previous.path != published:
                previous = load_generation(published)
        except CimicError:
            pass  # no usable published index: build from what we were given
        report = _build(corpus_dir, index_dir, encoder, previous, progress, corpus)
    export = getattr(encoder, "export_onnx", None)
    if export is not None:
        export(index_dir)  # once per model; verified against PyTorch, else PyTorch stays
    return report


def _build(
    corpus_dir: Path,
    index_dir: Path,
    encoder: Encoder,
    previous: IndexData | None = None,
    progress: bool = False,
    corpus: Corpus | None = None,
) -> RebuildReport:
    t0 = time.perf_counter()
    corpus = corpus or load_corpus(corpus_dir)
    reuse, reason = reusable(previous, encoder)
    old_docs = previous.documents if previous else {}
    new_docs = corpus.by_doc()
    added = tuple(d for d in new_docs if d not in old_docs)
    removed = tuple(d for d in old_docs if d not in new_docs)
    changed = tuple(
        d for d in new_docs if d in old_docs and old_docs[d].sha256 != new_docs[d].sha256
    )
    unchanged = tuple(d for d in new_docs if d in old_docs and d not in changed)
    meta_changed = any(old_docs[d] != new_docs[d] for d in unchanged)
    retokenized = previous is not None and previous.manifest.get("analyzer") != analyzer_settings()
    if reuse and retokenized:
        reason = "tokenizer rules changed: BM25 terms remade, vectors reused"
    if (
        reuse
        and not (added or removed or changed or meta_changed or retokenized)
        and previous is not None
    ):
        return RebuildReport(
            unchanged=unchanged,
            skipped=corpus.skipped,
            catalog_problems=corpus.catalog_problems,
            chunks=len(previous.chunks),
            full=False,
            generation=previous.path.name,
            seconds=time.perf_counter() - t0,
            published=False,
        )

    # New rows, each either reused from the previous generation (its vectors copied) or embedded.
    old_rows = previous.chunks.rows_by_doc() if reuse and previous else {}
    chunks: list[Chunk] = []
    chunk_from: list[int] = []  # per new chunk row: its old row, or -1 when it is embedded
    sentences: list[tuple[int, int, int]] = []
    sentence_from: list[int] = []  # per new sentence: its old sentence row, or -1
    for doc in corpus.documents:
        if doc.doc in unchanged and doc.doc in old_rows and previous is not None:
            for i in old_rows[doc.doc].tolist():
                row = len(chunks)
                chunks.append(previous.chunks[i])
                chunk_from.append(i)
                lo, hi = int(previous.sentence_rows[i]), int(previous.sentence_rows[i + 1])
                for j, (_, s, e) in enumerate(np.asarray(previous.sentences[lo:hi]).tolist()):
                    sentences.append((row, s, e))
                    sentence_from.append(lo + j)
            continue
        for chunk in chunk_document(doc):
            row = len(chunks)
            chunks.append(chunk)
            chunk_from.append(-1)
            for s, e in sentence_spans(chunk.text):
                sentences.append((row, s, e))
                sentence_from.append(-1)

    dim = encoder.dim
    chunk_matrix = np.zeros((len(chunks), dim), np.float32)
    sent_matrix = QuantizedVectors.empty(len(sentences), dim)
    chunk_old = np.asarray(chunk_from, dtype=np.int64)
    sent_old = np.asarray(sentence_from, dtype=np.int64)
    if previous is not None and (chunk_old >= 0).any():
        kept = np.flatnonzero(chunk_old >= 0)
        chunk_matrix[kept] = previous.dense.rows(chunk_old[kept])
        kept = np.flatnonzero(sent_old >= 0)
        sent_matrix.codes[kept] = previous.sentence_vectors.codes[sent_old[kept]]
        sent_matrix.scales[kept] = previous.sentence_vectors.scales[sent_old[kept]]
    todo_chunks = np.flatnonzero(chunk_old < 0)
    todo_sents = np.flatnonzero(sent_old < 0)
    # Embedded a batch at a time, straight into the matrices: no list of a library's vectors.
    todo = [(True, int(i)) for i in todo_chunks] + [(False, int(j)) for j in todo_sents]
    bar = _progress_bar(len(todo), progress)
    for lo in range(0, len(todo), EMBED_BATCH):
        part = todo[lo : lo + EMBED_BATCH]
        texts = [
            chunks[i].embed_text
            if is_chunk
            else plain(chunks[sentences[i][0]].text[sentences[i][1] : sentences[i][2]])
            for is_chunk, i in part
        ]
        embedded = encoder.embed_documents(texts, bar)
        at_chunks = [n for n, (is_chunk, _) in enumerate(part) if is_chunk]
        at_sents = [n for n, (is_chunk, _) in enumerate(part) if not is_chunk]
        chunk_matrix[[part[n][1] for n in at_chunks]] = embedded[at_chunks]
        sent_matrix.put([part[n][1] for n in at_sents], embedded[at_sents])
    del todo
    sent_array = np.array(sentences, dtype=np.int32).reshape(-1, 3)
    del sentences, sentence_from
    lexical = LexicalIndex.build([c.search_text for c in chunks])
    per_doc = Counter(c.doc for c in chunks)
    manifest = {
        "built_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "model": {
            "name": encoder.name,
            "dim": dim,
            "fingerprint": encoder.fingerprint(),
            "canary": [round(float(x), 6) for x in encoder.canary()],
        },
        "chunker": chunker_settings(),
        "analyzer": analyzer_settings(),
        "dense": {
            "kind": "exact" if len(chunks) < ANN_THRESHOLD else "ivf",
            "ann_threshold": ANN_THRESHOLD,
            "nprobe": nprobe_for(ivf_lists(len(chunks))) if len(chunks) >= ANN_THRESHOLD else None,
        },
        "documents": {
            d.doc: {
                "sha256": d.sha256,
                "title": d.title,
                "chunks": per_doc[d.doc],
            }
            for d in corpus.documents
        },
        "skipped": [{"path": s.path, "reason": s.reason} for s in corpus.skipped],
        "catalog_problems": list(corpus.catalog_problems),
        "counts": {
            "documents": len(corpus.documents),
            "chunks": len(chunks),
            "sentences": len(sent_array),
        },
        "versions": _versions(),
    }
    vocabulary = Vocabulary.learn([d.text[slice(*d.content_span)] for d in corpus.documents])
    word_vectors = _word_vectors(vocabulary, encoder, previous if reuse else None)
    gen = write_generation(
        index_dir,
        manifest,
        chunks,
        new_docs,
        chunk_matrix,
        lexical,
        sent_array,
        sent_matrix,
        vocabulary,
        word_vectors,
    )
    return RebuildReport(
        added=added,
        changed=changed,
        removed=removed,
        unchanged=unchanged,
        skipped=corpus.skipped,
        catalog_problems=corpus.catalog_problems,
        chunks=len(chunks),
        chunks_embedded=len(todo_chunks),
        sentences_embedded=len(todo_sents),
        full=not reuse,
        reason=reason if (not reuse or retokenized) else "",
        generation=gen.name,
        seconds=time.perf_counter() - t0,
    )
