"""The network edge, over HTTP on loopback: file access, uploads, monitoring, floods, login, offline."""

from __future__ import annotations

import concurrent.futures as cf
import os
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from .conftest import CORPUS, run_app


def status(url: str, data: bytes | None = None, headers: dict | None = None) -> tuple[int, bytes]:
    req = urllib.request.Request(url, data=data, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=20) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def test_file_route_refuses_everything_outside_the_ui(app_url: str, tmp_path_factory):
    corpus_file = (CORPUS / "nato-ims-office-of-the-gender-advisor.txt").resolve()
    secret = b"IMS Office of the Gender Advisor (IMS GENAD)"
    probes = [
        "../../../../etc/passwd",
        "/etc/passwd",
        "%2e%2e/%2e%2e/%2e%2e/etc/passwd",
        "..%2f..%2f..%2f..%2fetc%2fpasswd",
        "%252e%252e%252fetc%252fpasswd",
        "....//....//etc/passwd",
        str(corpus_file),
        urllib.parse.quote(str(corpus_file)),
        "corpus/nato-ims-office-of-the-gender-advisor.txt",
        "index/CURRENT",
        "app.py",
        str(Path(__file__).resolve()),
    ]
    for probe in probes:
        code, body = status(f"{app_url}gradio_api/file={probe}")
        assert code >= 400, (probe, code)
        assert b"root:" not in body and secret not in body


def test_oversized_upload_gets_413(app_url: str):
    boundary = "cimicboundary"
    payload = b"x" * (2 * 1024 * 1024)
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="files"; filename="big.txt"\r\n'
            f"Content-Type: text/plain\r\n\r\n"
        ).encode()
        + payload
        + f"\r\n--{boundary}--\r\n".encode()
    )
    code, _ = status(
        f"{app_url}gradio_api/upload",
        data=body,
        headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
    )
    assert code == 413


def test_monitoring_is_off(app_url: str):
    code, _ = status(f"{app_url}monitoring")
    assert code in (403, 404)


def test_no_endpoint_writes_the_index(app_url: str, app_server):
    from gradio_client import Client

    client = Client(app_url, verbose=False)
    info = client.view_api(print_info=False, return_format="dict")
    assert set(info["named_endpoints"]) == {"/ask"} and not info["unnamed_endpoints"]
    with pytest.raises(Exception):  # noqa: B017 - the UI's own handlers are not callable
        client.predict("What is CMI?", api_name="/respond")


@pytest.mark.parametrize(
    ("question", "fragment"),
    [
        ("x" * 100_000, "at most"),
        ("", "empty"),
        ("\x00\x01\x02", "empty"),
        ("\u202e\u2066", "empty"),
    ],
)
def test_server_bounds_and_cleans_questions(app_url: str, question: str, fragment: str):
    from gradio_client import Client

    result = Client(app_url, verbose=False).predict(question, [], api_name="/ask")
    assert fragment in result["error"]


@pytest.mark.parametrize(
    "question", ["What is CMI? 🤖", "Что такое CIMIC?", "CIMIC とは何ですか", "What is\x00 CMI?"]
)
def test_server_answers_odd_but_valid_questions(app_url: str, question: str):
    from gradio_client import Client

    result = Client(app_url, verbose=False).predict(question, [], api_name="/ask")
    assert "error" not in result and isinstance(result["abstained"], bool)


def test_flood_beyond_the_queue_is_turned_away_and_the_app_recovers(tmp_path: Path):
    from gradio_client import Client

    env = {"CIMIC_QUEUE_SIZE": "2", "CIMIC_CONCURRENCY": "1"}
    with run_app(tmp_path, env=env) as (url, _):
        client = Client(url, verbose=False)

        def one(i: int) -> tuple[bool, float]:
            t0 = time.perf_counter()
            try:
                client.predict(f"What is CMI? ({i})", [], api_name="/ask")
                return True, time.perf_counter() - t0
            except Exception:  # noqa: BLE001 - a refusal is the expected outcome for some
                return False, time.perf_counter() - t0

        with cf.ThreadPoolExecutor(max_workers=40) as pool:
            results = list(pool.map(one, range(120)))
        refused = [t for ok, t in results if not ok]
        assert refused, "the queue bound never turned a request away"
        assert max(refused) < 10  # turned away quickly, not after a long wait
        assert any(ok for ok, _ in results)
        assert client.predict("What is wargaming?", [], api_name="/ask")["passages"]


def test_login_from_the_environment(tmp_path: Path):
    from gradio_client import Client

    with run_app(tmp_path, env={"CIMIC_AUTH": "analyst:correct-horse-battery"}) as (url, proc):
        with pytest.raises(Exception):  # noqa: B017 - refused without credentials
            Client(url, verbose=False).predict("What is CMI?", [], api_name="/ask")
        with pytest.raises(Exception):  # noqa: B017 - refused with the wrong password
            Client(url, auth=("analyst", "wrong"), verbose=False)
        client = Client(url, auth=("analyst", "correct-horse-battery"), verbose=False)
        assert client.predict("What is CMI?", [], api_name="/ask")["passages"]
        assert "correct-horse-battery" not in " ".join(proc.args)


def test_login_from_a_file(tmp_path: Path):
    from gradio_client import Client

    creds = tmp_path / "users.txt"
    creds.write_text("# one user per line\nofficer:long-pass-phrase\n", encoding="utf-8")
    with run_app(tmp_path, "--auth-file", str(creds)) as (url, _):
        client = Client(url, auth=("officer", "long-pass-phrase"), verbose=False)
        assert client.predict("What is CMI?", [], api_name="/ask")["passages"]


def test_runs_with_no_network_at_all(tmp_path: Path):
    if subprocess.run(["unshare", "-rn", "true"], capture_output=True).returncode != 0:
        pytest.skip("unshare -rn is not permitted here")
    args = [
        sys.executable,
        "-m",
        "cimic",
        "--corpus",
        str(CORPUS),
        "--index",
        str(tmp_path / "index"),
    ]
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    built = subprocess.run(
        ["unshare", "-rn", *args, "index", "--quiet"], capture_output=True, text=True, env=env
    )
    assert built.returncode == 0, built.stderr
    asked = subprocess.run(
        ["unshare", "-rn", *args, "ask", "What is CMI?"], capture_output=True, text=True, env=env
    )
    assert asked.returncode == 0, asked.stderr
    assert "CMI is one of the two core activities of CIMIC" in asked.stdout
