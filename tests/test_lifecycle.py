"""Index lifecycle: incremental and full rebuilds, hot reload, rollback, verification, kills, watch."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from cimic import Assistant
from cimic.abstention import AbstentionModel
from cimic.embedding import HashingEncoder
from cimic.indexing import build_index
from cimic.store import current_generation, generations, load_generation

from .conftest import write_corpus

FAKE = "hashing-test-encoder"
LOOSE = AbstentionModel.never()


def cimic(*args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "cimic", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, "HF_HUB_OFFLINE": "1"},
    )


def synthetic_corpus(root: Path, n_docs: int, paragraphs: int = 6) -> Path:
    rng = random.Random(7)
    words = [
        "convoy",
        "ration",
        "tent",
        "radio",
        "patrol",
        "bridge",
        "river",
        "village",
        "liaison",
        "medical",
        "water",
        "fuel",
        "map",
        "signal",
        "route",
        "winter",
        "supply",
        "engineer",
        "camp",
        "school",
        "market",
        "harbour",
        "airfield",
    ]
    files = {}
    for d in range(n_docs):
        paras = []
        for p in range(paragraphs):
            sentence = " ".join(rng.choice(words) for _ in range(12))
            paras.append(f"Paragraph {p} of report {d}: The {sentence}. It was noted on day {p}.")
        files[f"report-{d:03d}.txt"] = "\n\n".join(paras) + "\n"
    return write_corpus(root, files)


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    return synthetic_corpus(tmp_path / "corpus", 8)


def test_model_change_forces_full_rebuild_said_plainly(corpus: Path, tmp_path: Path):
    index = tmp_path / "index"
    first = build_index(corpus, index, HashingEncoder(dim=64))
    assert first.full and first.chunks_embedded == first.chunks
    same = build_index(corpus, index, HashingEncoder(dim=64))
    assert not same.published
    other = build_index(corpus, index, HashingEncoder(dim=64, name="another-model"))
    assert other.full and other.chunks_embedded == other.chunks
    assert "model" in other.reason and "another-model" in other.reason
    assert "full build (the index was built with model" in other.summary()


def test_tokenizer_change_remakes_bm25_terms_and_is_refused_until_then(
    corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    from cimic import indexing, lexical, store
    from cimic.chunking import chunker_settings
    from cimic.errors import IndexMismatchError

    index = tmp_path / "index"
    first = build_index(corpus, index, HashingEncoder(dim=64))
    assert load_generation(current_generation(index)).manifest["analyzer"] == (
        lexical.analyzer_settings()
    )
    other = {**lexical.analyzer_settings(), "rules": "0" * 16}
    for module in (lexical, store, indexing):
        monkeypatch.setattr(module, "analyzer_settings", lambda: other)
    data = load_generation(current_generation(index))
    with pytest.raises(IndexMismatchError, match="tokenizer rules"):
        store.check_compatible(data.manifest, HashingEncoder(dim=64), chunker_settings())
    again = build_index(corpus, index, HashingEncoder(dim=64))
    assert again.published and not again.full and again.chunks_embedded == 0
    assert "tokenizer rules changed" in again.reason and again.chunks == first.chunks
    fresh = load_generation(current_generation(index))
    assert fresh.manifest["analyzer"] == other
    store.check_compatible(fresh.manifest, HashingEncoder(dim=64), chunker_settings())


def test_same_name_other_weights_is_caught_by_the_canary(corpus: Path, tmp_path: Path):
    index = tmp_path / "index"
    build_index(corpus, index, HashingEncoder(dim=64))

    class Drifted(HashingEncoder):
        def embed_batch(self, texts, progress=None):
            return super().embed_batch([t + " drift" for t in texts], progress)

    report = build_index(corpus, index, Drifted(dim=64))
    assert report.full and "embeds differently" in report.reason


def test_running_assistant_picks_up_a_new_generation(corpus: Path, tmp_path: Path):
    index = tmp_path / "index"
    serving = Assistant.open(corpus, index, encoder=HashingEncoder(dim=64), abstention=LOOSE)
    old = serving.current().path
    (corpus / "news.txt").write_text(
        "The ferry crossing at the northern harbour reopened today.", encoding="utf-8"
    )
    report = build_index(corpus, index, HashingEncoder(dim=64))  # another process would do the same
    assert report.added == ("news.txt",) and report.chunks_embedded == 1
    answer = serving.ask("ferry crossing northern harbour")
    assert serving.current().path != old
    assert answer.passages[0].doc == "news.txt"


def test_a_damaged_new_generation_is_not_served(corpus: Path, tmp_path: Path):
    index = tmp_path / "index"
    serving = Assistant.open(corpus, index, encoder=HashingEncoder(dim=64), abstention=LOOSE)
    good = serving.current().path
    (corpus / "news.txt").write_text("Ferry crossing reopened.", encoding="utf-8")
    build_index(corpus, index, HashingEncoder(dim=64))
    newest = current_generation(index)
    (newest / "chunks.npz").write_bytes(b"")
    assert serving.ask("convoy ration").passages  # still answers, from the last good generation
    assert serving.current().path == good


def test_rollback_and_check_from_the_cli(corpus: Path, tmp_path: Path):
    index = tmp_path / "index"
    paths = ["--corpus", str(corpus), "--index", str(index), "--model", FAKE]
    assert cimic(*paths, "index", "--quiet").returncode == 0
    first = current_generation(index)
    (corpus / "report-000.txt").write_text(
        "Completely new content about bridges.", encoding="utf-8"
    )
    assert cimic(*paths, "index", "--quiet").returncode == 0
    assert current_generation(index) != first and len(generations(index)) == 2

    checked = cimic(*paths, "index", "--check")
    assert checked.returncode == 0 and "index OK" in checked.stdout

    rolled = cimic(*paths, "index", "--rollback")
    assert rolled.returncode == 0, rolled.stderr
    assert current_generation(index) == first

    (first / "dense.faiss").write_bytes(b"garbage")
    bad = cimic(*paths, "index", "--check")
    assert bad.returncode == 1 and "dense.faiss" in bad.stderr and "cimic index" in bad.stderr


def _swap(gen: Path) -> None:
    a, b = gen / "sentences.npy", gen / "sentence_vectors.npy"
    da, db = a.read_bytes(), b.read_bytes()
    a.write_bytes(db)
    b.write_bytes(da)


@pytest.mark.parametrize(
    "damage", ["truncate", "bitflip", "missing", "swap", "manifest", "pointer"]
)
def test_damaged_index_is_refused_cleanly_in_a_subprocess(
    corpus: Path, tmp_path: Path, damage: str
):
    index = tmp_path / "index"
    paths = ["--corpus", str(corpus), "--index", str(index), "--model", FAKE]
    assert cimic(*paths, "index", "--quiet").returncode == 0
    gen = current_generation(index)
    target = gen / "dense.faiss"
    if damage == "truncate":
        target.write_bytes(target.read_bytes()[:-100])
    elif damage == "bitflip":
        data = bytearray(target.read_bytes())
        data[len(data) // 2] ^= 0x01
        target.write_bytes(bytes(data))
    elif damage == "missing":
        (gen / "bm25" / "vocab.index.json").unlink()
    elif damage == "swap":
        _swap(gen)
    elif damage == "manifest":
        (gen / "manifest.json").write_text("{not json")
    else:
        (index / "CURRENT").write_text("gen-does-not-exist\n")
    out = cimic(*paths, "status")
    assert out.returncode == 1, out.stdout + out.stderr
    assert "Traceback" not in out.stderr and "cimic index" in out.stderr
    assert len(out.stderr.strip().splitlines()) == 1
    # Rebuilding repairs it.
    assert cimic(*paths, "index", "--quiet").returncode == 0
    assert cimic(*paths, "status").returncode == 0


def _kill_trials(corpus: Path, index: Path, trials: int) -> None:
    paths = ["--corpus", str(corpus), "--index", str(index), "--model", FAKE]
    assert cimic(*paths, "index", "--quiet").returncode == 0
    rng = random.Random(11)
    for trial in range(trials):
        (corpus / f"report-{trial % 5:03d}.txt").write_text(
            f"Trial {trial} changed this report.\n" * 30, encoding="utf-8"
        )
        proc = subprocess.Popen(
            [sys.executable, "-m", "cimic", *paths, "index", "--quiet"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(rng.uniform(0.3, 2.5))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        data = load_generation(current_generation(index))  # verifies every checksum
        assert data.chunks
    check = cimic(*paths, "index", "--check")
    assert check.returncode == 0, check.stderr


def test_killed_rebuilds_leave_a_loadable_index(tmp_path: Path):
    _kill_trials(synthetic_corpus(tmp_path / "corpus", 60), tmp_path / "index", trials=6)


@pytest.mark.slow
def test_killed_rebuilds_leave_a_loadable_index_many_times(tmp_path: Path):
    _kill_trials(synthetic_corpus(tmp_path / "corpus", 60), tmp_path / "index", trials=50)


def test_watch_rebuilds_after_a_burst_of_changes(corpus: Path):
    from cimic.watching import watch

    calls: list[float] = []
    stop = threading.Event()
    thread = threading.Thread(
        target=watch, args=(corpus, lambda: calls.append(time.monotonic()), 0.5, stop)
    )
    thread.start()
    try:
        time.sleep(0.5)
        for i in range(5):  # one burst
            (corpus / "burst.txt").write_text(f"version {i}", encoding="utf-8")
            time.sleep(0.05)
        deadline = time.monotonic() + 10
        while not calls and time.monotonic() < deadline:
            time.sleep(0.1)
        time.sleep(1.0)
    finally:
        stop.set()
        thread.join(timeout=10)
    assert len(calls) == 1


def test_queries_during_rebuilds_never_fail(corpus: Path, tmp_path: Path):
    index = tmp_path / "index"
    serving = Assistant.open(corpus, index, encoder=HashingEncoder(dim=64), abstention=LOOSE)
    errors: list[BaseException] = []
    stop = threading.Event()

    def asker() -> None:
        while not stop.is_set():
            try:
                answer = serving.ask("convoy radio patrol")
                for p in answer.passages:  # each answer is consistent with one generation
                    assert p.text
            except BaseException as exc:  # noqa: BLE001
                errors.append(exc)

    threads = [threading.Thread(target=asker) for _ in range(4)]
    for t in threads:
        t.start()
    for i in range(3):
        (corpus / "report-001.txt").write_text(
            f"Rebuild {i}: the convoy radio patrol moved.\n", encoding="utf-8"
        )
        build_index(corpus, index, HashingEncoder(dim=64))
    stop.set()
    for t in threads:
        t.join()
    assert errors == []
