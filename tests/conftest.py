"""Shared fixtures: tiny corpora, a fake encoder, and the real packaged model loaded once."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "corpus"
DEV = ROOT.parent / "shared" / "eval" / "dev.jsonl"

GLOSSARY = """Concepts and Terminology
Definition
Widget doctrine is the set of rules by which the widget corps plans its work. It is reviewed every year.
Source
https://example.org/widgets
Key words
Widgets / Doctrine / Planning
Definition
“A gadget is a small device that performs a useful function.”
(NATO agreed)
Source
NATO Term
Key words
Gadgets
Definition
Sprocket alignment refers to the process of lining up sprockets before a parade.
Source
Sprocket Manual
Key words
Sprockets / Parades
"""

PROSE = """Field kitchens

The field kitchen feeds the deployed battalion three times a day. Cooks rotate every week.

The duties of the kitchen officer are to:

- Order rations from the depot.
- Inspect the water supply.
- Keep the hygiene log.

Camp lighting is powered by two diesel generators placed away from the tents.
"""


def write_corpus(root: Path, files: dict[str, str]) -> Path:
    """Write files (relative path -> text) under root and return root."""
    root.mkdir(parents=True, exist_ok=True)
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


@pytest.fixture
def tiny_corpus(tmp_path: Path) -> Path:
    """A two-document corpus: a glossary and a prose page with a list."""
    return write_corpus(tmp_path / "corpus", {"glossary.txt": GLOSSARY, "kitchen.md": PROSE})


@pytest.fixture
def fake_encoder():
    """Deterministic model-free encoder."""
    from cimic.embedding import HashingEncoder

    return HashingEncoder(dim=64)


@pytest.fixture(scope="session")
def real_encoder():
    """The packaged all-MiniLM-L6-v2, loaded once per session."""
    from cimic.embedding import load_encoder

    return load_encoder()


@pytest.fixture(scope="session")
def real_assistant(tmp_path_factory, real_encoder):
    """An Assistant over a copy of the project corpus, indexed with the real model."""
    from cimic import Assistant

    base = tmp_path_factory.mktemp("real")
    corpus = base / "corpus"
    shutil.copytree(CORPUS, corpus)
    return Assistant.open(corpus, base / "index", encoder=real_encoder)


@pytest.fixture(scope="session")
def dev_questions() -> list[dict]:
    """The development question set (skips when ../shared is not beside the project)."""
    if not DEV.is_file():
        pytest.skip(f"{DEV} not found")
    return [
        json.loads(line) for line in DEV.read_text(encoding="utf-8").splitlines() if line.strip()
    ]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_ready(url: str, proc: subprocess.Popen, timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"app exited early: {proc.stdout.read() if proc.stdout else ''}")
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise TimeoutError(f"app not ready at {url}")


@contextlib.contextmanager
def run_app(base: Path, *args: str, env: dict | None = None):
    """app.py on a free loopback port over base/corpus and base/index; yields (url, process)."""
    if not (base / "corpus").exists():
        shutil.copytree(CORPUS, base / "corpus")
    port = free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            str(ROOT / "app.py"),
            "--corpus",
            str(base / "corpus"),
            "--index",
            str(base / "index"),
            "--port",
            str(port),
            *args,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={
            **os.environ,
            "HF_HUB_OFFLINE": "1",
            "GRADIO_ANALYTICS_ENABLED": "False",
            **(env or {}),
        },
        cwd=base,
    )
    url = f"http://127.0.0.1:{port}/"
    try:
        wait_ready(url, proc)
        yield url, proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.fixture(scope="session")
def app_server(tmp_path_factory):
    """app.py started on a free loopback port over a copy of the corpus: (url, feedback file)."""
    base = tmp_path_factory.mktemp("app")
    with run_app(base, "--feedback", str(base / "feedback.jsonl")) as (url, _):
        yield url, base / "feedback.jsonl"


@pytest.fixture(scope="session")
def app_url(app_server) -> str:
    """URL of the running app."""
    return app_server[0]
