"""The index store: manifest, checksums, atomic publish, refusal of damaged or mismatched indexes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cimic import Assistant
from cimic.embedding import HashingEncoder
from cimic.errors import IndexCorruptError, IndexMismatchError, IndexMissingError
from cimic.store import FORMAT_VERSION, current_generation, load_generation


@pytest.fixture
def built(tiny_corpus: Path, tmp_path: Path, fake_encoder):
    index = tmp_path / "index"
    Assistant.open(tiny_corpus, index, encoder=fake_encoder)
    return tiny_corpus, index


def test_manifest_records_what_built_the_index(built):
    _, index = built
    manifest = json.loads((current_generation(index) / "manifest.json").read_text())
    assert manifest["model"]["name"] == "hashing-test-encoder"
    assert manifest["model"]["dim"] == 64
    assert manifest["chunker"]["max_chars"] == 1200
    assert manifest["analyzer"]["version"] >= 1 and len(manifest["analyzer"]["rules"]) == 16
    assert set(manifest["documents"]) == {"glossary.txt", "kitchen.md"}
    assert all(len(d["sha256"]) == 64 for d in manifest["documents"].values())
    assert "dense.faiss" in manifest["files"] and "words.faiss" in manifest["files"]
    assert manifest["format_version"] == FORMAT_VERSION == 7
    assert "texts.txt" in manifest["files"] and "documents.json" in manifest["files"]
    assert "chunk_terms.npy" in manifest["files"]


def test_missing_index_says_to_build(tmp_path: Path, tiny_corpus: Path, fake_encoder):
    with pytest.raises(IndexMissingError, match="cimic index"):
        Assistant.open(tiny_corpus, tmp_path / "none", encoder=fake_encoder, update=False)


@pytest.mark.parametrize("damage", ["truncate", "flip", "delete"])
def test_damaged_file_is_refused(built, damage: str):
    _, index = built
    path = current_generation(index) / "dense.faiss"
    data = path.read_bytes()
    if damage == "truncate":
        path.write_bytes(data[: len(data) // 2])
    elif damage == "flip":
        path.write_bytes(data[:100] + bytes([data[100] ^ 0xFF]) + data[101:])
    else:
        path.unlink()
    with pytest.raises(IndexCorruptError, match="cimic index"):
        load_generation(current_generation(index))


def test_other_model_is_refused_without_update(built):
    corpus, index = built
    with pytest.raises(IndexMismatchError, match="rebuild"):
        Assistant.open(corpus, index, encoder=HashingEncoder(dim=32, name="other"), update=False)


def test_other_model_triggers_full_rebuild_with_update(built):
    corpus, index = built
    a = Assistant.open(corpus, index, encoder=HashingEncoder(dim=32, name="other"))
    assert a.manifest["model"] == {**a.manifest["model"], "name": "other", "dim": 32}


def test_format_version_mismatch_is_refused(built):
    _, index = built
    gen = current_generation(index)
    manifest = json.loads((gen / "manifest.json").read_text())
    manifest["format_version"] = 999
    (gen / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(IndexMismatchError, match="format"):
        load_generation(gen)


def test_failed_build_leaves_last_index_serving(built, monkeypatch):
    corpus, index = built
    before = current_generation(index)
    (corpus / "new.txt").write_text("A new document about sprocket parades.", encoding="utf-8")

    def boom(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr("cimic.store.DenseIndex.save", boom)
    with pytest.raises(OSError):
        Assistant.open(corpus, index, encoder=HashingEncoder(dim=64))
    assert current_generation(index) == before
    assert load_generation(before).chunks
    assert not list(index.glob(".building-*"))


def test_a_question_runs_blas_on_one_thread_and_gives_the_threads_back():
    """While a question is answered numpy's BLAS runs on one thread (its threads contended with
    the encoder's); afterwards the process has its threads back, also after an error."""
    from threadpoolctl import threadpool_info

    from cimic.onnx_query import one_blas_thread

    def blas_threads() -> list[int]:
        return [i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"]

    before = blas_threads()
    assert before, "numpy's BLAS is loaded"
    with one_blas_thread():
        assert set(blas_threads()) == {1}
    assert blas_threads() == before
    with pytest.raises(ValueError), one_blas_thread():
        raise ValueError("a failing question")
    assert blas_threads() == before
    # Questions answered at once overlap in any order; the last one out gives the threads back.
    first, second = one_blas_thread(), one_blas_thread()
    first.__enter__()
    second.__enter__()
    first.__exit__(None, None, None)
    assert set(blas_threads()) == {1}
    second.__exit__(None, None, None)
    assert blas_threads() == before
