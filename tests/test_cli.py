"""The `cimic` command as a subprocess: exit codes, readable text, JSON."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import CORPUS, DEV

FAKE = "hashing-test-encoder"


def cimic(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    return subprocess.run(
        [sys.executable, "-m", "cimic", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=300,
    )


@pytest.fixture
def paths(tiny_corpus: Path, tmp_path: Path) -> list[str]:
    return ["--corpus", str(tiny_corpus), "--index", str(tmp_path / "index"), "--model", FAKE]


def test_index_then_ask_json(paths):
    built = cimic(*paths, "index", "--json", "--quiet")
    assert built.returncode == 0, built.stderr
    report = json.loads(built.stdout)
    assert sorted(report["added"]) == ["glossary.txt", "kitchen.md"] and report["published"]
    again = json.loads(cimic(*paths, "index", "--json", "--quiet").stdout)
    assert not again["published"] and again["chunks_embedded"] == 0

    asked = cimic(*paths, "ask", "kitchen officer duties", "-k", "2", "--json")
    assert asked.returncode == 0, asked.stderr
    answer = json.loads(asked.stdout)
    assert set(answer) >= {"question", "query", "abstained", "passages", "weak_matches"}
    shown = answer["passages"] or answer["weak_matches"]
    assert 1 <= len(shown) <= 2
    assert {
        "text",
        "doc",
        "title",
        "source",
        "section",
        "start",
        "end",
        "score",
        "highlights",
    } <= set(shown[0])


def test_status_reports_changes(paths, tiny_corpus: Path):
    cimic(*paths, "index", "--quiet")
    assert "2 documents" in cimic(*paths, "status").stdout
    (tiny_corpus / "new.md").write_text("A new page about tents.", encoding="utf-8")
    assert "run `cimic index`" in cimic(*paths, "status").stdout


def test_skipped_files_are_reported(paths, tiny_corpus: Path):
    (tiny_corpus / "broken.txt").write_bytes(b"\xff\xfe\x00bad")
    out = cimic(*paths, "index", "--quiet")
    assert out.returncode == 0
    assert "skipped broken.txt" in out.stdout


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["ask", ""], 2, "empty"),
        (["ask", "x" * 5000], 2, "at most"),
        (["eval", "/nonexistent.jsonl"], 1, "cannot read"),
    ],
)
def test_errors_exit_nonzero_with_one_line(paths, args, code, message):
    cimic(*paths, "index", "--quiet")
    out = cimic(*paths, *args)
    assert out.returncode == code
    assert message in out.stderr
    assert len(out.stderr.strip().splitlines()) == 1
    assert "Traceback" not in out.stderr


def test_status_without_index_says_what_to_run(paths):
    out = cimic(*paths, "status")
    assert out.returncode == 3 and "cimic index" in out.stderr


def test_damaged_index_is_refused_by_status(paths, tmp_path: Path):
    cimic(*paths, "index", "--quiet")
    gen = tmp_path / "index" / (tmp_path / "index" / "CURRENT").read_text().strip()
    (gen / "chunks.npz").write_bytes(b"")
    out = cimic(*paths, "status")
    assert out.returncode == 1 and "checksum" in out.stderr


def test_readable_answer_with_real_model(tmp_path: Path):
    index = tmp_path / "index"
    out = cimic("--corpus", str(CORPUS), "--index", str(index), "ask", "What is wargaming?")
    assert out.returncode == 0, out.stderr
    assert "[1]" in out.stdout and "Wargaming is a deliberate, analytical method" in out.stdout
    assert "ccoe-cimic-concepts-and-terminology.txt, characters" in out.stdout


@pytest.mark.skipif(not DEV.is_file(), reason="../shared/eval/dev.jsonl not present")
def test_eval_prints_figures(tmp_path: Path):
    out = cimic("--corpus", str(CORPUS), "--index", str(tmp_path / "i"), "eval", str(DEV), "--json")
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout)
    assert report["abstention_model"]["features"] and report["operating_curve_held_out"]
    for half in ("all", "tuning", "held_out"):
        f = report[half]
        for key in ("hit@1", "hit@3", "hit@5", "mrr@5", "false_abstention"):
            assert key in f["answerable"]
        assert "abstention" in f["out_of_scope"] and "misses" in f
    assert set(report["all"]["by_kind"]) >= {"lexical", "paraphrase"}
    lodo = report["leave_one_document_out"]
    assert "all" in lodo or "error" in lodo


def test_ask_does_not_import_gradio(paths):
    cimic(*paths, "index", "--quiet")
    code = (
        "import sys; from cimic.cli import main; "
        f"main({[*paths, 'ask', 'kitchen officer']!r}); "
        "print('GRADIO' if 'gradio' in sys.modules else 'NO-GRADIO')"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().endswith("NO-GRADIO")


@pytest.mark.parametrize(
    ("catalog", "expected"),
    [
        ('{"documents": {"kitchen.md": {"title": "Kitchens"}', "line 1, column"),
        ('{"documents": {"kitchen.md": {"title": 42}}}', "entry 'kitchen.md' field 'title'"),
        ('{"documents": {"gone.md": {"title": "Gone"}}}', "entry 'gone.md' names no file"),
        ('["not", "an", "object"]', 'no "documents" object'),
    ],
)
def test_a_malformed_catalog_is_reported_everywhere_and_the_build_goes_on(
    paths, tiny_corpus: Path, catalog: str, expected: str
):
    (tiny_corpus / "catalog.json").write_text(catalog, encoding="utf-8")
    built = cimic(*paths, "index", "--json", "--quiet")
    assert built.returncode == 0 and "Traceback" not in built.stderr
    problems = [ln for ln in built.stderr.splitlines() if "catalog.json" in ln]
    assert len(problems) == 1 and expected in problems[0]
    report = json.loads(built.stdout)
    assert report["published"] and expected in report["catalog_problems"][0]
    status = cimic(*paths, "status")
    assert status.returncode == 0 and expected in status.stdout
    asked = json.loads(cimic(*paths, "ask", "kitchen officer duties", "--json").stdout)
    shown = asked["passages"] or asked["weak_matches"]
    assert shown and all(p["title"] != "Kitchens" for p in shown)  # titles from the documents
