"""The HTTP doors of `cimic serve`, through real clients over loopback: REST with httpx, the
OpenAI-compatible endpoint with the stock `openai` client, and who may use them."""

from __future__ import annotations

import json
from urllib.parse import quote

import httpx
import jsonschema
import pytest

from .conftest import ROOT, run_app

SCHEMA = json.loads((ROOT / "schema" / "answer.schema.json").read_text(encoding="utf-8"))
BASELINE = "What are the seven baseline requirements?"


@pytest.fixture(scope="module")
def api(app_url):
    with httpx.Client(base_url=app_url.rstrip("/"), timeout=60) as client:
        yield client


def test_ask_returns_the_answer_schema_and_quotes_check_against_the_document_text(api):
    r = api.post("/api/v1/ask", json={"question": BASELINE})
    assert r.status_code == 200
    answer = r.json()
    jsonschema.validate(answer, SCHEMA)
    assert not answer["abstained"] and answer["passages"]
    p = answer["passages"][0]
    doc = api.get(f"/api/v1/documents/{quote(p['doc'])}").json()
    assert doc["text"][p["start"] : p["end"]] == p["text"]  # a client can verify the citation
    assert doc["passages"] > 0 and len(doc["sha256"]) == 64


def test_ask_with_history_k_and_a_document_filter(api):
    docs = api.get("/api/v1/documents").json()
    names = [d["doc"] for d in docs["documents"]]
    assert len(names) == 4 and docs["skipped"] == [] and docs["indexed_at"]
    for d in docs["documents"]:
        assert {"doc", "title", "passages", "pages", "sha256"} <= set(d)
    follow = api.post(
        "/api/v1/ask",
        json={"question": "And who is responsible for them?", "history": [BASELINE], "k": 3},
    ).json()
    jsonschema.validate(follow, SCHEMA)
    assert follow["query"] != follow["question"] and len(follow["passages"]) <= 3
    only = [n for n in names if "ims" in n][0]
    filtered = api.post("/api/v1/ask", json={"question": "What is CIMIC?", "docs": [only]}).json()
    shown = filtered["passages"] or filtered["weak_matches"]
    assert shown and {p["doc"] for p in shown} == {only}


@pytest.mark.parametrize(
    ("body", "status", "says"),
    [
        ({"question": ""}, 400, "empty"),
        ({"question": "x" * 2001}, 400, "2000"),
        ({"question": 5}, 422, "question"),
        ({"question": "What is CIMIC?", "k": 0}, 422, "k"),
        ({"question": "What is CIMIC?", "k": 99}, 422, "k"),
        ({"question": "What is CIMIC?", "history": "not a list"}, 422, "history"),
        ({"question": "What is CIMIC?", "docs": ["../../etc/passwd"]}, 404, "/api/v1/documents"),
        ({"question": "What is CIMIC?", "colour": "red"}, 422, "colour"),
        ({}, 422, "question"),
        ([1, 2], 422, "JSON object"),
    ],
)
def test_bad_requests_get_a_4xx_that_says_what_to_do(api, body, status, says):
    r = api.post("/api/v1/ask", json=body)
    assert r.status_code == status, r.text
    assert says in r.json()["error"]


def test_malformed_json_unknown_routes_and_paths_are_refused_cleanly(api):
    r = api.post("/api/v1/ask", content=b"{not json", headers={"content-type": "application/json"})
    assert r.status_code == 400 and "valid JSON" in r.json()["error"]
    assert (
        api.post(
            "/api/v1/ask", content=b"\xff\xfe\x00", headers={"content-type": "application/json"}
        ).status_code
        == 400
    )
    assert api.get("/api/v1/nothing-here").json()["error"].startswith("no such endpoint")
    assert api.delete("/api/v1/status").status_code in (404, 405)
    for name in ("nope.txt", "%2e%2e%2f%2e%2e%2fetc%2fpasswd", "..%2Fapp.py"):
        r = api.get(f"/api/v1/documents/{name}")
        assert r.status_code == 404 and "GET /api/v1/documents" in r.json()["error"]


def test_status_and_openapi(api):
    s = api.get("/api/v1/status").json()
    assert s["documents"] == 4 and s["passages"] > 50 and s["generation"].startswith("gen-")
    spec = api.get("/openapi.json").json()
    for path in ("/api/v1/ask", "/api/v1/documents", "/api/v1/documents/{doc}", "/api/v1/status"):
        assert path in spec["paths"]
    assert "/v1/chat/completions" in spec["paths"] and "/v1/models" in spec["paths"]
    ok = spec["paths"]["/api/v1/ask"]["post"]["responses"]["200"]["content"]["application/json"]
    assert ok["schema"]["$ref"] == "#/components/schemas/Answer"
    assert "passage" in json.dumps(spec["components"]["schemas"]["Answer"]).lower()
    ask = spec["paths"]["/api/v1/ask"]["post"]["requestBody"]["content"]["application/json"]
    assert ask["schema"]["$ref"].endswith("AskRequest")
    assert {"question", "history", "k", "docs"} <= set(
        spec["components"]["schemas"]["AskRequest"]["properties"]
    )


@pytest.fixture(scope="module")
def chat(app_url):
    openai = pytest.importorskip("openai")
    return openai.OpenAI(base_url=app_url.rstrip("/") + "/v1", api_key="unused", max_retries=0)


def test_openai_client_plain_and_follow_up(chat):
    assert [m.id for m in chat.models.list()] == ["cimic"]
    r = chat.chat.completions.create(
        model="cimic", messages=[{"role": "user", "content": BASELINE}]
    )
    content = r.choices[0].message.content
    answer = r.model_extra["cimic"]
    jsonschema.validate(answer, SCHEMA)
    assert r.choices[0].finish_reason == "stop" and not answer["abstained"]
    assert content.startswith("**") and "[1] *" in content
    for p in answer["passages"]:  # every quote is the documents' own text
        assert (
            "\n".join("> " + ln if ln.strip() else ">" for ln in p["text"].splitlines()) in content
        )
    follow = chat.chat.completions.create(
        model="cimic",
        messages=[
            {"role": "system", "content": "You are helpful."},
            {"role": "user", "content": BASELINE},
            {"role": "assistant", "content": content},
            {
                "role": "user",
                "content": [{"type": "text", "text": "And who is responsible for them?"}],
            },
        ],
    )
    assert follow.model_extra["cimic"]["query"] != "And who is responsible for them?"


def test_openai_client_streamed_equals_plain_and_abstention_marks_weak_matches(chat):
    messages = [{"role": "user", "content": "What salary does a NATO gender advisor earn?"}]
    plain = chat.chat.completions.create(model="cimic", messages=messages)
    assert plain.model_extra["cimic"]["abstained"]
    text = plain.choices[0].message.content
    assert text.startswith("The documents") and "**Weak matches**" in text
    pieces, last = [], None
    for chunk in chat.chat.completions.create(model="cimic", messages=messages, stream=True):
        if chunk.choices and chunk.choices[0].delta.content:
            pieces.append(chunk.choices[0].delta.content)
        last = chunk
    assert "".join(pieces) == text
    assert last.choices[0].finish_reason == "stop"
    jsonschema.validate(last.model_extra["cimic"], SCHEMA)


def test_openai_client_errors(chat):
    import openai

    with pytest.raises(openai.NotFoundError):
        chat.chat.completions.create(model="gpt-4", messages=[{"role": "user", "content": "Hi"}])
    with pytest.raises(openai.BadRequestError):
        chat.chat.completions.create(model="cimic", messages=[{"role": "system", "content": "Hi"}])


def test_api_key_and_login_guard_every_http_door(tmp_path):
    openai = pytest.importorskip("openai")
    env = {"CIMIC_API_KEY": "k-123", "CIMIC_AUTH": "ann:secret-pw"}
    with run_app(tmp_path, env=env) as (url, _):
        base = url.rstrip("/")
        for path in ("/api/v1/status", "/api/v1/documents", "/v1/models"):
            r = httpx.get(base + path)
            assert r.status_code == 401 and "Bearer" in r.json()["error"]
            assert (
                httpx.get(base + path, headers={"Authorization": "Bearer wrong"}).status_code == 401
            )
            assert (
                httpx.get(base + path, headers={"Authorization": "Bearer k-123"}).status_code == 200
            )
            assert httpx.get(base + path, auth=("ann", "secret-pw")).status_code == 200
            assert httpx.get(base + path, auth=("ann", "nope")).status_code == 401
        r = httpx.post(base + "/api/v1/ask", json={"question": "What is CIMIC?"})
        assert r.status_code == 401
        good = openai.OpenAI(base_url=base + "/v1", api_key="k-123", max_retries=0)
        assert [m.id for m in good.models.list()] == ["cimic"]
        bad = openai.OpenAI(base_url=base + "/v1", api_key="guess", max_retries=0)
        with pytest.raises(openai.AuthenticationError):
            bad.models.list()
        # The UI asks for the login too.
        assert (
            httpx.get(base + "/config").status_code in (401, 403)
            or "login" in httpx.get(url).text.lower()
        )


def test_request_bodies_are_bounded_before_they_are_read(api):
    big = b'{"question": "' + b"x" * (1024 * 1024 + 10) + b'"}'
    r = api.post("/api/v1/ask", content=big, headers={"content-type": "application/json"})
    assert r.status_code == 413 and "larger" in r.json()["error"]

    def chunked():  # no Content-Length: counted as it arrives
        for _ in range(40):
            yield b"x" * 65536

    r = api.post(
        "/v1/chat/completions", content=chunked(), headers={"content-type": "application/json"}
    )
    assert r.status_code == 413
    assert api.post("/api/v1/ask", json={"question": "What is CIMIC?"}).status_code == 200
