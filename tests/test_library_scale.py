"""Library-scale storage and search: the chunk table, float16 memory-mapped sentence vectors, and
candidate scoring against the exhaustive reference (speed and memory are measured in
bench/bench_library.py, not here)."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest

from cimic import Assistant
from cimic import retrieval as retrieval_module
from cimic.chunking import chunk_document
from cimic.documents import load_corpus
from cimic.embedding import HashingEncoder
from cimic.retrieval import search
from cimic.store import ChunkTable, QuantizedVectors, current_generation, load_generation
from cimic.types import Chunk

from .conftest import CORPUS, write_corpus

WORDS = [
    "convoy",
    "ferry",
    "bridge",
    "ration",
    "clinic",
    "school",
    "water",
    "shelter",
    "liaison",
    "mayor",
    "police",
    "market",
    "harvest",
    "fuel",
    "radio",
    "curfew",
    "patrol",
    "refugee",
    "census",
    "vaccine",
    "generator",
    "road",
    "village",
    "council",
    "well",
]


def _library(root: Path, docs: int = 30, paras: int = 20) -> Path:
    """Documents of numbered paragraphs of random words (each longer than SMALL_UNIT, so none are
    packed together): many rows, little repetition."""
    rng = random.Random(7)
    files = {}
    for d in range(docs):
        body = []
        for p in range(paras):
            words = " ".join(rng.choice(WORDS) for _ in range(rng.randint(30, 45)))
            body.append(f"Paragraph {d}.{p} tells of {words}. The {rng.choice(WORDS)} ends it.")
        files[f"doc{d:02d}.txt"] = "\n\n".join(body) + "\n"
    return write_corpus(root, files)


def test_chunk_table_round_trips_every_field(tmp_path: Path):
    corpus = load_corpus(CORPUS)
    chunks = [c for d in corpus.documents for c in chunk_document(d)]
    table = ChunkTable.from_chunks(chunks, corpus.by_doc())
    table.save(tmp_path)
    loaded = ChunkTable.load(tmp_path, corpus.by_doc())
    assert len(loaded) == len(chunks) and list(loaded) == chunks
    assert loaded[-1] == chunks[-1] and loaded[2:4] == chunks[2:4]
    assert any(c.keywords for c in loaded) and any(c.kind == "glossary" for c in loaded)
    doc = chunks[0].doc
    mask = loaded.doc_mask([doc, "not-indexed.txt"])
    assert mask.sum() == sum(c.doc == doc for c in chunks)
    assert [loaded.text(i) for i in range(3)] == [c.text for c in chunks[:3]]
    assert loaded.rows_by_doc()[doc].tolist() == [i for i, c in enumerate(chunks) if c.doc == doc]
    with pytest.raises(IndexError):
        loaded[len(chunks)]


def test_chunk_table_refuses_a_chunk_that_is_not_its_documents_span():
    corpus = load_corpus(CORPUS)
    doc = corpus.documents[0]
    wrong = Chunk(doc=doc.doc, start=0, end=10, text="not the text")
    with pytest.raises(ValueError, match="not the span"):
        ChunkTable.from_chunks([wrong], corpus.by_doc())


def test_sentence_vectors_are_int8_codes_memory_mapped(tmp_path: Path):
    corpus = _library(tmp_path / "corpus", docs=3, paras=5)
    encoder = HashingEncoder(dim=64)
    Assistant.open(corpus, tmp_path / "index", encoder=encoder)
    data = load_generation(current_generation(tmp_path / "index"))
    codes = data.sentence_vectors.codes
    assert isinstance(codes.base, np.memmap) and not codes.flags.writeable
    assert codes.dtype == np.int8
    assert data.sentences.dtype == np.int32
    assert len(data.sentences) == len(data.sentence_vectors) == int(data.sentence_rows[-1]) > 0
    chunk, start, end = (int(x) for x in data.sentences[7])
    exact = encoder.embed_documents([data.chunks.text(chunk)[start:end]])[0]
    assert abs(float(data.sentence_vectors[7] @ exact) - 1.0) < 2e-3


def test_quantized_vectors_are_close_and_requantize_to_themselves():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(300, 384)).astype(np.float32)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    q = QuantizedVectors.quantize(x)
    back = q[np.arange(300)]
    assert np.abs((back * x).sum(axis=1) - 1.0).max() < 2e-3
    again = QuantizedVectors.quantize(back)
    assert np.array_equal(again.codes, q.codes) and np.allclose(again.scales, q.scales)
    assert np.allclose(q[5], back[5]) and q[10:12].shape == (2, 384)


@pytest.fixture(scope="module")
def library(tmp_path_factory):
    root = tmp_path_factory.mktemp("library")
    corpus = _library(root / "corpus")
    return Assistant.open(corpus, root / "index", encoder=HashingEncoder(dim=64))


def test_candidates_agree_with_the_exhaustive_scan(library):
    data = library.current()
    assert len(data.chunks) > retrieval_module.DEPTH * (retrieval_module.DENSE_SHARE + 1)
    rng = random.Random(3)
    agree = []
    for _ in range(20):
        question = " ".join(rng.sample(WORDS, 4))
        v = library.encoder.embed_query(question)
        fast = search(data, v, question).rows[:5]
        full = search(data, v, question, exhaustive=True).rows[:5]
        agree.append(len(set(fast) & set(full)) / 5)
        assert fast[0] == full[0], question
    assert np.mean(agree) >= 0.9


def test_an_exact_passage_is_found_first(library):
    data = library.current()
    for row in (0, 123, len(data.chunks) - 1):
        text = data.chunks.text(row)
        assert search(data, library.encoder.embed_query(text), text).rows[0] == row


@pytest.mark.parametrize("exact_upto", [retrieval_module.FILTER_EXACT, 0])
def test_a_document_filter_returns_only_its_rows(library, monkeypatch, exact_upto: int):
    """Both ways of filtering: every row of the documents scored, or FAISS with an id selector."""
    monkeypatch.setattr(retrieval_module, "FILTER_EXACT", exact_upto)
    data = library.current()
    docs = {"doc03.txt", "doc17.txt"}
    question = "convoy ferry bridge"
    cands = search(data, library.encoder.embed_query(question), question, docs=docs)
    assert cands.rows and {data.chunks.doc_of(r) for r in cands.rows} <= docs


def test_an_incremental_rebuild_stores_the_vectors_a_full_build_would(tmp_path: Path):
    """Reused rows are copied to their new places: vectors equal a fresh build's, row by row."""
    from cimic.indexing import build_index

    corpus = _library(tmp_path / "corpus", docs=6, paras=8)
    encoder = HashingEncoder(dim=64)
    build_index(corpus, tmp_path / "index", encoder)
    previous = load_generation(current_generation(tmp_path / "index"))
    (corpus / "doc02.txt").write_text("A new paragraph about the ferry.\n\nAnd one more.\n")
    (corpus / "doc04.txt").unlink()
    report = build_index(corpus, tmp_path / "index", encoder, previous)
    assert not report.full and 0 < report.chunks_embedded < report.chunks
    build_index(corpus, tmp_path / "fresh", encoder)
    inc = load_generation(current_generation(tmp_path / "index"))
    fresh = load_generation(current_generation(tmp_path / "fresh"))
    assert list(inc.chunks) == list(fresh.chunks)
    assert np.array_equal(np.asarray(inc.sentences), np.asarray(fresh.sentences))
    assert np.allclose(inc.dense.vectors(), fresh.dense.vectors(), atol=1e-6)
    assert np.array_equal(inc.sentence_vectors.codes, fresh.sentence_vectors.codes)
    assert np.array_equal(inc.sentence_vectors.scales, fresh.sentence_vectors.scales)


def test_stored_term_sets_group_duplicates_as_the_texts_do(tmp_path: Path):
    """Near-duplicates are grouped from the term ids the index stores, never from re-read texts:
    the same pairs either way, on our corpus (glossary entries, repeated passages included)."""
    from cimic.answer import _term_set, duplicates_among, merge_duplicates

    a = Assistant.open(CORPUS, tmp_path / "index", encoder=HashingEncoder(dim=64))
    data = a.current()
    assert len(data.chunk_terms) == len(data.chunks)
    vocab = data.lexical._vocab
    for row in range(0, len(data.chunks), 7):
        expected = sorted(vocab[t] for t in _term_set(data.chunks.text(row)))
        assert data.chunk_terms[row].tolist() == expected
    rows = list(range(min(len(data.chunks), 150)))
    by_text = duplicates_among([data.chunks[r] for r in rows])
    by_ids = duplicates_among(
        [data.chunks[r] for r in rows], keys=[data.chunk_terms[r] for r in rows]
    )
    assert by_text.any() and np.array_equal(by_text, by_ids)
    groups = merge_duplicates(data, rows, limit=len(rows))
    assert sorted(r for g in groups for r in g) == rows
    assert any(len(g) > 1 for g in groups)


def test_dense_and_sparse_duplicate_products_agree(monkeypatch):
    """Duplicate grouping multiplies densely for few short passages and sparsely beyond; both
    count shared terms exactly, so they find the same pairs."""
    import cimic.answer as answer

    rng = np.random.default_rng(7)
    base = rng.choice(5_000, 60, replace=False)
    keys = [np.unique(rng.choice(5_000, int(rng.integers(3, 90)))) for _ in range(35)]
    keys += [np.unique(np.concatenate([base, rng.choice(5_000, 4)])), np.unique(base)]
    entry = [None] * len(keys)
    monkeypatch.setattr(answer, "DENSE_PRODUCT", 10**12)
    dense = answer._duplicates(keys, entry)
    monkeypatch.setattr(answer, "DENSE_PRODUCT", 0)
    sparse = answer._duplicates(keys, entry)
    assert dense[-1, -2] and np.array_equal(dense, sparse)


def test_damaged_term_sets_are_reported_as_a_corrupt_index(tmp_path: Path):
    from cimic.errors import IndexCorruptError

    Assistant.open(
        _library(tmp_path / "corpus", docs=2, paras=4),
        tmp_path / "index",
        encoder=HashingEncoder(dim=64),
    )
    gen = current_generation(tmp_path / "index")
    offsets = np.load(gen / "chunk_terms_rows.npy")
    offsets[-1] += 3  # offsets that run past the values
    np.save(gen / "chunk_terms_rows.npy", offsets)
    with pytest.raises(IndexCorruptError, match="cimic index"):
        load_generation(gen)


def test_weighted_bm25_scores_equal_bm25s_term_by_term(tmp_path: Path):
    """One weighted pass over the postings gives what bm25s gives term by term."""
    from cimic.lexical import terms

    a = Assistant.open(CORPUS, tmp_path / "index", encoder=HashingEncoder(dim=64))
    lexical = a.current().lexical

    def reference(ts):
        ids = [lexical._vocab[t] for t in ts if t in lexical._vocab]
        return np.asarray(lexical._bm25.get_scores(ids), dtype=np.float32) if ids else 0.0

    asked, near = terms("gender advisor training civil"), terms("cooperation liaison unknownword")
    got = lexical.scores(asked + near, [1.0] * len(asked) + [0.5] * len(near))
    assert np.allclose(got, reference(asked) + 0.5 * reference(near), atol=1e-5)
    assert got.max() > 0 and not lexical.scores(["qqqqzz"]).any()


@pytest.mark.parametrize("sample_rows", [100, 1000, 20_000])
def test_best_bm25_rows_equal_a_full_ranking(sample_rows: int, monkeypatch: pytest.MonkeyPatch):
    """The best BM25 rows, picked among those above a threshold read from a sample of the scores,
    are exactly the best rows of a full ranking, with and without a row filter."""
    from cimic import lexical as lexical_module
    from cimic.lexical import LexicalIndex, best_rows, terms

    monkeypatch.setattr(lexical_module, "SAMPLE_ROWS", sample_rows)
    rng = random.Random(11)
    # Word frequencies from very common to rare, so terms' postings differ by orders of magnitude.
    vocab = [(w, 0.9 / (1 + i) ** 1.3) for i, w in enumerate(WORDS)]
    texts = [
        " ".join(w for w, p in vocab for _ in range(rng.choice([1, 1, 2, 3])) if rng.random() < p)
        or "nothing"
        for _ in range(3000)
    ]
    index = LexicalIndex.build(texts)
    mask = np.array([rng.random() < 0.3 for _ in texts])
    for _ in range(60):
        words = rng.sample(WORDS, rng.randint(1, 6))
        qterms = terms(" ".join(words))
        weights = [rng.choice([1.0, 0.5]) for _ in qterms]
        full = index.scores(qterms, weights)
        for allowed in (None, mask):
            scores = full if allowed is None else np.where(allowed, full, 0.0)
            m = rng.choice([1, 5, 50, 200])
            got = best_rows(scores, m)
            positive = np.flatnonzero(scores > 0)
            want = positive[np.argsort(-scores[positive], kind="stable")][:m]
            assert len(got) == len(want)
            # Same scores in the same order (rows of equal score may come in either order).
            assert np.allclose(scores[got], scores[want], atol=1e-5), words
    # A sample that sees only the high scores gives a threshold too few rows pass: all are ranked.
    skewed = np.where(np.arange(3000) % 30 == 0, 5.0, 1.0).astype(np.float32)
    monkeypatch.setattr(lexical_module, "SAMPLE_ROWS", 100)
    got = best_rows(skewed, 150)
    assert len(got) == 150 and (skewed[got[:100]] == 5.0).all()
    assert (skewed[got[100:]] == 1.0).all()


def test_exact_nearest_and_least_in_one_pass_match_a_full_ranking():
    from cimic.dense import DenseIndex

    rng = np.random.default_rng(3)
    x = rng.standard_normal((500, 32)).astype(np.float32)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    index = DenseIndex.build(x)
    q = x[11] + 0.3 * x[12]
    q /= np.linalg.norm(q)
    scores, ids, least = index.nearest_and_least(q, 20)
    every = x @ q
    assert index.kind == "exact" and ids[0] == 11
    assert ids.tolist() == np.argsort(-every, kind="stable")[:20].tolist()
    assert np.allclose(scores, every[ids], atol=1e-5) and abs(least - every.min()) < 1e-5
    ivf = DenseIndex.build(x, ann_threshold=100)
    _, ivf_ids, ivf_least = ivf.nearest_and_least(q, 20)
    assert ivf.kind == "ivf" and ivf_ids[0] == 11 and ivf_least >= every.min() - 1e-3


def test_word_neighbours_are_searched_in_an_index_of_any_vocabulary_size():
    """Question words meet their nearest corpus words through the index's word index: exact for a
    small vocabulary, IVF for a large one, both searched several words at a time."""
    from cimic.dense import WORD_ANN_THRESHOLD, DenseIndex

    rng = np.random.default_rng(4)
    for n in (300, WORD_ANN_THRESHOLD + 1000):
        x = rng.standard_normal((n, 48)).astype(np.float32)
        x /= np.linalg.norm(x, axis=1, keepdims=True)
        index = DenseIndex.build(x, ann_threshold=WORD_ANN_THRESHOLD)
        queries = x[[3, 40, 77]] + 0.05 * rng.standard_normal((3, 48)).astype(np.float32)
        scores, ids = index.search_many(queries, 4)
        assert ids.shape == scores.shape == (3, 4)
        assert ids[:, 0].tolist() == [3, 40, 77]  # each word's own vector is nearest
        assert (np.diff(scores, axis=1) <= 1e-6).all()  # best first
        assert index.kind == ("exact" if n < WORD_ANN_THRESHOLD else "ivf")
        assert np.allclose(index.rows(np.array([5, 6])), x[[5, 6]], atol=2e-3)
