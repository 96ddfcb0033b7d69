"""Embedding in other tools: LangChain's standard retriever tests, MCP over loopback, one JSON shape."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
from langchain_core.documents import Document
from langchain_tests.integration_tests import RetrieversIntegrationTests

from cimic.integrations.langchain import CimicRetriever

from .conftest import CORPUS, ROOT, run_app

SCHEMA = json.loads((ROOT / "schema" / "answer.schema.json").read_text(encoding="utf-8"))
_SHARED: dict = {}


def shared_assistant():
    """One real Assistant for the LangChain suite, whose fixtures cannot take ours."""
    if "a" not in _SHARED:
        import atexit
        import shutil
        import tempfile

        from cimic import Assistant

        base = Path(tempfile.mkdtemp(prefix="cimic-lc-"))
        atexit.register(shutil.rmtree, base, True)
        shutil.copytree(CORPUS, base / "corpus")
        _SHARED["a"] = Assistant.open(base / "corpus", base / "index")
    return _SHARED["a"]


class TestCimicRetrieverStandard(RetrieversIntegrationTests):
    """LangChain's own standard test suite for retrievers."""

    @property
    def retriever_constructor(self) -> type[CimicRetriever]:
        return CimicRetriever

    @property
    def retriever_constructor_params(self) -> dict:
        return {"assistant": shared_assistant(), "k": 3}

    @property
    def retriever_query_example(self) -> str:
        return "What are the seven baseline requirements for civil preparedness?"


def test_retriever_metadata_and_abstention(real_assistant):
    docs = CimicRetriever(assistant=real_assistant, k=2).invoke("What is CMI?")
    assert len(docs) == 2 and all(isinstance(d, Document) for d in docs)
    meta = docs[0].metadata
    assert {
        "doc",
        "title",
        "source",
        "section",
        "page",
        "start",
        "end",
        "score",
        "nato_agreed",
    } <= set(meta)
    assert (
        real_assistant.document(meta["doc"]).text[meta["start"] : meta["end"]]
        == docs[0].page_content
    )
    assert CimicRetriever(assistant=real_assistant).invoke("How do I bake sourdough bread?") == []


def _valid(obj: dict) -> None:
    jsonschema.validate(obj, SCHEMA)


def test_cli_json_matches_the_schema(tmp_path):
    index = tmp_path / "index"
    base = [sys.executable, "-m", "cimic", "--corpus", str(CORPUS), "--index", str(index)]
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    for q in ["What is CMI?", "How do I bake sourdough bread?"]:
        out = subprocess.run(
            [*base, "ask", q, "--json"], capture_output=True, text=True, env=env, timeout=300
        )
        assert out.returncode == 0, out.stderr
        _valid(json.loads(out.stdout))


def test_api_json_matches_the_schema(app_url: str):
    from gradio_client import Client

    client = Client(app_url, verbose=False)
    for q, h in [
        ("What are the seven baseline requirements?", []),
        ("and who supports them?", ["What are the seven baseline requirements?"]),
        ("How do I bake sourdough bread?", []),
        ("", []),
    ]:
        _valid(client.predict(q, h, api_name="/ask"))


def test_schema_rejects_a_wrong_shape():
    with pytest.raises(jsonschema.ValidationError):
        _valid({"question": "q", "passages": "not a list"})


def test_mcp_tool_over_loopback(tmp_path):
    from mcp import ClientSession
    from mcp.client.streamable_http import streamable_http_client

    async def call(url: str) -> tuple[dict, list]:
        async with (
            streamable_http_client(f"{url}gradio_api/mcp/") as (read, write, _),
            ClientSession(read, write) as session,
        ):
            await session.initialize()
            tools = (await session.list_tools()).tools
            result = await session.call_tool("ask", {"question": "What is CMI?", "history": []})
            return {"tools": tools, "result": result}, tools

    with run_app(tmp_path, "--mcp") as (url, _):
        got, tools = asyncio.run(call(url))
    ask = next(t for t in tools if t.name == "ask")
    props = ask.inputSchema["properties"]
    assert {"question", "history"} <= set(props)
    assert "description" in props["question"] and "follow-up" in props["history"]["description"]
    assert "verbatim" in (ask.description or "")
    text = got["result"].content[0].text
    answer = json.loads(text)
    _valid(answer)
    assert answer["passages"] and "CMI" in answer["passages"][0]["text"]
