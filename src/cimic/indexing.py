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
from .lexical import LexicalIndex
from .store import (
    IndexData,
    build_lock,
    current_generation,
    load_generation,
    model_mismatch,
    write_generation,
)
from .types import Chunk
from .vocabulary import Vocabulary


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
    todo = []
    for i, w in enumerate(words):
        j = old.get(w)
        if j is None:
            todo.append(i)
        else:
            out[i] = previous.word_vectors[j]
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
    if reuse and not (added or removed or changed or meta_changed) and previous is not None:
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

    # Old rows per reusable document: chunk rows and their sentence rows.
    old_rows = previous.chunks.rows_by_doc() if reuse and previous else {}

    chunks: list[Chunk] = []
    vectors: list[np.ndarray | None] = []
    sentences: list[tuple[int, int, int]] = []
    sent_vectors: list[np.ndarray | None] = []
    for doc in corpus.documents:
        if doc.doc in unchanged and doc.doc in old_rows and previous is not None:
            rows = old_rows[doc.doc]
            old_chunk_vectors = previous.dense.rows(rows)
            for n, i in enumerate(rows.tolist()):
                row = len(chunks)
                chunks.append(previous.chunks[i])
                vectors.append(old_chunk_vectors[n])
                lo, hi = int(previous.sentence_rows[i]), int(previous.sentence_rows[i + 1])
                old_sentences = np.asarray(previous.sentences[lo:hi])
                old_sentence_vectors = np.asarray(previous.sentence_vectors[lo:hi])
                for (_, s, e), v in zip(old_sentences.tolist(), old_sentence_vectors, strict=True):
                    sentences.append((row, s, e))
                    sent_vectors.append(v)
            continue
        for chunk in chunk_document(doc):
            row = len(chunks)
            chunks.append(chunk)
            vectors.append(None)
            for s, e in sentence_spans(chunk.text):
                sentences.append((row, s, e))
                sent_vectors.append(None)

    todo_chunks = [i for i, v in enumerate(vectors) if v is None]
    todo_sents = [j for j, v in enumerate(sent_vectors) if v is None]
    texts = [chunks[i].embed_text for i in todo_chunks] + [
        chunks[sentences[j][0]].text[sentences[j][1] : sentences[j][2]] for j in todo_sents
    ]
    embedded = encoder.embed_documents(texts, _progress_bar(len(texts), progress))
    for n, i in enumerate(todo_chunks):
        vectors[i] = embedded[n]
    for n, j in enumerate(todo_sents):
        sent_vectors[j] = embedded[len(todo_chunks) + n]

    dim = encoder.dim
    chunk_matrix = (
        np.vstack(vectors).astype(np.float32) if vectors else np.zeros((0, dim), np.float32)
    )
    sent_matrix = (
        np.vstack(sent_vectors).astype(np.float16)
        if sent_vectors
        else np.zeros((0, dim), np.float16)
    )
    sent_array = np.array(sentences, dtype=np.int32).reshape(-1, 3)
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
            "sentences": len(sentences),
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
        reason="" if reuse else reason,
        generation=gen.name,
        seconds=time.perf_counter() - t0,
    )
