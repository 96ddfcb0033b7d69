"""The web app over HTTP: /ask through gradio_client, history, and the serving defaults."""

from __future__ import annotations

from .conftest import CORPUS


def _client(url: str):
    from gradio_client import Client

    return Client(url, verbose=False)


def test_ask_endpoint_returns_cited_passages(app_url: str):
    from cimic.documents import load_corpus

    texts = {d.doc: d.text for d in load_corpus(CORPUS).documents}
    result = _client(app_url).predict(
        "What are the seven baseline requirements?", [], api_name="/ask"
    )
    assert result["abstained"] is False and result["query"] == result["question"]
    assert 1 <= len(result["passages"]) <= 5
    for p in result["passages"]:
        assert texts[p["doc"]][p["start"] : p["end"]] == p["text"]
        assert p["title"] and p["highlights"]
    assert "Resilient energy supplies" in result["passages"][0]["text"]


def test_follow_up_uses_history(app_url: str):
    client = _client(app_url)
    result = client.predict(
        "Which deployments did she draw on?",
        ["Who is Lieutenant Colonel Françoise Verbanck?"],
        api_name="/ask",
    )
    assert "Verbanck" in result["query"]
    assert any("Lebanon" in p["text"] for p in result["passages"])


def test_out_of_scope_abstains(app_url: str):
    result = _client(app_url).predict(
        "How do I make a sourdough starter at home?", [], api_name="/ask"
    )
    assert result["abstained"] is True and result["passages"] == []


def test_bad_question_gets_message_not_crash(app_url: str):
    result = _client(app_url).predict("   ", [], api_name="/ask")
    assert "empty" in result["error"]


def test_only_ask_is_public(app_url: str):
    info = _client(app_url).view_api(print_info=False, return_format="dict")
    assert set(info["named_endpoints"]) == {"/ask"}


def test_binds_loopback_only(app_url: str):
    assert app_url.startswith("http://127.0.0.1:")


def test_cimic_serve_starts_the_ui_on_loopback(tmp_path):
    import os
    import shutil
    import subprocess
    import sys

    from .conftest import free_port, wait_ready

    shutil.copytree(CORPUS, tmp_path / "corpus")
    port = free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "cimic",
            "--corpus",
            str(tmp_path / "corpus"),
            "--index",
            str(tmp_path / "index"),
            "serve",
            "--port",
            str(port),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        cwd=CORPUS.parent,
        env={**os.environ, "HF_HUB_OFFLINE": "1"},
    )
    try:
        wait_ready(f"http://127.0.0.1:{port}/", proc)
        assert _client(f"http://127.0.0.1:{port}/").predict("What is CMI?", [], api_name="/ask")[
            "passages"
        ]
    finally:
        proc.terminate()
        out, _ = proc.communicate(timeout=30)
    assert "bound to 127.0.0.1 only" in out
