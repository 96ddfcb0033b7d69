"""Documents managed by an admin: safe names, limits, the audit log, background rebuilds that never
take down the last good index, and the same over REST with HTTP Basic admin credentials."""

from __future__ import annotations

import json
import time
from pathlib import Path

import httpx
import pytest

from cimic import Assistant, CimicError
from cimic.serve.admin import AdminError, DocumentManager, safe_name

from .conftest import run_app

FUEL = (
    "The Quartermaster Liaison Cell coordinates fuel deliveries with local suppliers in theatre.\n"
)


def pdf_bytes(text: str) -> bytes:
    """A one-page PDF holding text (fpdf2)."""
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", size=12)
    pdf.multi_cell(0, 8, text)
    return bytes(pdf.output())


@pytest.mark.parametrize(
    ("given", "safe"),
    [
        ("report.pdf", "report.pdf"),
        ("../../etc/Report 1.PDF", "Report_1.pdf"),
        ("C:\\Users\\ann\\notes.md", "notes.md"),
        ("..\\..\\x.txt", "x.txt"),
        ("a;rm -rf $(x).html", "a_rm_-rf_x.html"),
    ],
)
def test_a_clients_file_name_becomes_a_safe_base_name(given, safe):
    assert safe_name(given) == safe


@pytest.mark.parametrize("given", ["", "..", ".pdf", "run.sh", "archive.tar.gz", "noext"])
def test_unsupported_or_empty_names_are_refused(given):
    with pytest.raises(AdminError) as err:
        safe_name(given)
    assert err.value.status == 415


@pytest.fixture
def managed(tiny_corpus, tmp_path, fake_encoder):
    assistant = Assistant.open(tiny_corpus, tmp_path / "index", encoder=fake_encoder)
    return assistant, DocumentManager(assistant, tmp_path / "audit.jsonl", max_bytes=50_000)


def _audit(manager) -> list[dict]:
    return [json.loads(x) for x in manager.audit_path.read_text(encoding="utf-8").splitlines()]


def test_upload_and_remove_rebuild_in_the_background_and_are_audited(managed):
    assistant, manager = managed
    done = manager.upload("ann", "../../Fuel Note.txt", FUEL.encode())
    assert (
        done["doc"] == "Fuel_Note.txt"
        and (manager.corpus_dir / "Fuel_Note.txt").read_text() == FUEL
    )
    assert manager.wait().state == "published"
    assert "Fuel_Note.txt" in {d.doc for d in assistant.documents()}
    top = assistant.ask("Who coordinates fuel deliveries with local suppliers?").passages[0]
    assert top.doc == "Fuel_Note.txt"
    with pytest.raises(AdminError) as dup:
        manager.upload("ann", "Fuel_Note.txt", b"other text")
    assert dup.value.status == 409
    manager.remove("ann", "Fuel_Note.txt")
    assert manager.wait().state == "published"
    assert not (manager.corpus_dir / "Fuel_Note.txt").exists()
    assert "Fuel_Note.txt" not in {d.doc for d in assistant.documents()}
    rows = _audit(manager)
    assert [r["action"] for r in rows] == ["upload", "rebuild", "remove", "rebuild"]
    assert (
        rows[0]["user"] == "ann"
        and rows[0]["doc"] == "Fuel_Note.txt"
        and len(rows[0]["sha256"]) == 64
    )
    assert rows[2]["sha256"] == rows[0]["sha256"] and rows[0]["time"].endswith("+00:00")


def test_limits_and_unknown_documents(managed):
    _, manager = managed
    with pytest.raises(AdminError) as big:
        manager.upload("ann", "big.txt", b"x" * 50_001)
    assert big.value.status == 413
    with pytest.raises(AdminError) as empty:
        manager.upload("ann", "empty.txt", b"  \n")
    assert empty.value.status == 400
    for doc in ("nope.txt", "../glossary.txt", "/etc/passwd"):
        with pytest.raises(AdminError) as unknown:
            manager.remove("ann", doc)
        assert unknown.value.status == 404
    assert not manager.audit_path.exists()  # refused actions change nothing


def test_a_failed_rebuild_leaves_the_last_good_index_serving_and_says_why(managed, monkeypatch):
    assistant, manager = managed
    before = assistant.current().path

    def broken(progress: bool = False):
        raise CimicError("disk full while writing the new generation")

    monkeypatch.setattr(assistant, "rebuild", broken)
    manager.upload("ann", "fuel.txt", FUEL.encode())
    job = manager.wait()
    assert job.state == "failed" and "disk full" in job.message and "last good index" in job.message
    assert assistant.current().path == before
    still = assistant.ask("What is the hygiene log?")
    assert (still.passages or still.weak_matches)[0].doc == "kitchen.md"  # still answering
    assert _audit(manager)[-1]["result"] == "failed"


def test_admin_rest_routes_over_loopback(tmp_path):
    env = {"CIMIC_ADMIN": "root:pw-1", "CIMIC_MAX_UPLOAD_MB": "1"}
    with run_app(tmp_path, "--audit-log", str(tmp_path / "audit.jsonl"), env=env) as (url, _):
        base = url.rstrip("/")
        huge = {"file": ("huge.txt", b"word " * 400_000, "text/plain")}  # 2 MB: over the limit
        r = httpx.post(base + "/api/v1/documents", files=huge, auth=("root", "pw-1"))
        assert r.status_code == 413 and "error" in r.json()
        files = {"file": ("Fuel Note.pdf", pdf_bytes(FUEL), "application/pdf")}
        r = httpx.post(base + "/api/v1/documents", files=files)
        assert r.status_code == 401 and "admin" in r.json()["error"]
        assert (
            httpx.post(base + "/api/v1/documents", files=files, auth=("root", "no")).status_code
            == 401
        )
        r = httpx.post(base + "/api/v1/documents", files=files, auth=("root", "pw-1"), timeout=60)
        assert r.status_code == 202 and r.json()["doc"] == "Fuel_Note.pdf"
        job = _wait(base)
        assert job["state"] == "published", job
        listed = httpx.get(base + "/api/v1/documents").json()["documents"]
        assert any(d["doc"] == "Fuel_Note.pdf" and d["pages"] == 1 for d in listed)
        ask = httpx.post(
            base + "/api/v1/ask", json={"question": "Who coordinates fuel deliveries?"}, timeout=60
        ).json()
        assert ask["passages"][0]["doc"] == "Fuel_Note.pdf"
        bad = httpx.post(
            base + "/api/v1/documents",
            files={"file": ("x.exe", b"MZ", "application/octet-stream")},
            auth=("root", "pw-1"),
        )
        assert bad.status_code == 415 and ".pdf" in bad.json()["error"]
        assert httpx.delete(base + "/api/v1/documents/Fuel_Note.pdf").status_code == 401
        for name in ("nope.pdf", "..%2Fapp.py", "%2e%2e%2f%2e%2e%2fetc%2fpasswd"):
            r = httpx.delete(base + f"/api/v1/documents/{name}", auth=("root", "pw-1"))
            assert r.status_code == 404, name
        r = httpx.delete(base + "/api/v1/documents/Fuel_Note.pdf", auth=("root", "pw-1"))
        assert r.status_code == 202
        assert _wait(base)["state"] == "published"
        assert "Fuel_Note.pdf" not in [
            d["doc"] for d in httpx.get(base + "/api/v1/documents").json()["documents"]
        ]
        actions = [
            json.loads(x)["action"] for x in (tmp_path / "audit.jsonl").read_text().splitlines()
        ]
        assert actions == ["upload", "rebuild", "remove", "rebuild"]


def test_without_admins_there_are_no_admin_routes(app_url):
    base = app_url.rstrip("/")
    r = httpx.post(base + "/api/v1/documents", files={"file": ("a.txt", b"x", "text/plain")})
    assert r.status_code in (404, 405) and "error" in r.json()
    assert httpx.delete(base + "/api/v1/documents/a.txt").status_code in (404, 405)


def _wait(base: str, timeout: float = 240) -> dict:
    deadline = time.time() + timeout
    job = {}
    while time.time() < deadline:
        job = httpx.get(base + "/api/v1/rebuild", auth=("root", "pw-1")).json()
        if job["state"] != "running":
            return job
        time.sleep(0.5)
    return job


def test_admins_come_from_a_file_or_the_environment_never_the_command_line(tmp_path, monkeypatch):
    from cimic.serve.auth import load_admins

    f = tmp_path / "admins"
    f.write_text("# admins\nann:s3cret\nbob:pw:with:colons\n", encoding="utf-8")
    assert load_admins(str(f)) == {"ann": "s3cret", "bob": "pw:with:colons"}
    monkeypatch.setenv("CIMIC_ADMIN", "root:pw-1")
    assert load_admins(None) == {"root": "pw-1"}
    monkeypatch.delenv("CIMIC_ADMIN")
    assert load_admins(None) == {}
    f.write_text("no-colon\n", encoding="utf-8")
    with pytest.raises(ValueError):
        load_admins(str(f))
    from cimic.serve import main

    with pytest.raises(SystemExit):
        main(["--admin", "root:pw"])  # there is no such option
    assert Path(f).exists()
