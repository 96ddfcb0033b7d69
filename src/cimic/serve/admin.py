"""Documents managed by an admin: upload and remove, a rebuild in the background, an audit log.

The rebuild is the one `cimic index` runs (Assistant.rebuild: build lock, verify, atomic publish),
so a failed build leaves the last good index serving and the job says why. A client's file name is
reduced to a safe base name and written only into the corpus directory; a document to remove is
looked up in the served index (or its list of skipped files), never taken from the client as a path.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from .. import Assistant, CimicError
from ..documents import SUPPORTED

ALLOWED = tuple(sorted(SUPPORTED))  # the formats the corpus reader reads
MAX_UPLOAD_BYTES = int(os.environ.get("CIMIC_MAX_UPLOAD_MB", "20")) * 1024 * 1024
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


class AdminError(Exception):
    """A refused admin action, with the HTTP status that fits it."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


def safe_name(filename: str) -> str:
    """The client's file name reduced to a safe base name ("../../x/Report 1.PDF" -> "Report_1.pdf")."""
    base = re.split(r"[\\/]", filename or "")[-1]
    stem, dot, suffix = base.rpartition(".")
    if not dot:
        stem, suffix = base, ""
    stem = _UNSAFE.sub("_", stem).strip("._-")[:120]
    suffix = suffix.lower()
    if not stem or f".{suffix}" not in ALLOWED:
        raise AdminError(
            415,
            f"{base or 'the file'!r} is not a document this assistant reads; send one of "
            + ", ".join(ALLOWED),
        )
    return f"{stem}.{suffix}"


@dataclass
class Job:
    """The background rebuild: what it is doing and how it ended."""

    state: str = "idle"  # idle, running, published, unchanged, failed
    message: str = "No rebuild has run since the server started."
    started: float | None = None
    finished: float | None = None
    generation: str | None = None

    def to_dict(self) -> dict:
        """JSON-ready, with the elapsed seconds of a running build."""
        d = asdict(self)
        if self.started is not None:
            d["seconds"] = round((self.finished or time.time()) - self.started, 1)
        return d


class DocumentManager:
    """Upload, remove, rebuild in the background, and the audit log (JSONL, append-only)."""

    def __init__(self, assistant: Assistant, audit_path: Path, max_bytes: int = MAX_UPLOAD_BYTES):
        self.assistant = assistant
        self.corpus_dir = Path(assistant.corpus_dir)
        self.audit_path = Path(audit_path)
        self.max_bytes = max_bytes
        self.job = Job()
        self._lock = threading.Lock()  # one change or rebuild start at a time
        self._pending = False  # a change arrived while a build ran: build again after it

    # -- the audit log ----------------------------------------------------------------------
    def audit(self, user: str, action: str, doc: str, sha256: str | None, **extra) -> None:
        """Append who did what to which document, when, with its sha256."""
        row = {
            "time": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "user": user,
            "action": action,
            "doc": doc,
            "sha256": sha256,
            **extra,
        }
        self.audit_path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.audit_path, "a", encoding="utf-8") as f:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
            f.flush()
            os.fsync(f.fileno())

    # -- changes ----------------------------------------------------------------------------
    def upload(self, user: str, filename: str, data: bytes) -> dict:
        """Write a new document into the corpus and start a rebuild; its name and sha256."""
        name = safe_name(filename)
        if len(data) > self.max_bytes:
            raise AdminError(
                413, f"the file is larger than {self.max_bytes // (1024 * 1024)} MB; split it"
            )
        if not data.strip():
            raise AdminError(400, "the file is empty")
        with self._lock:
            target = self.corpus_dir / name
            if target.exists():
                raise AdminError(
                    409, f"{name} is already in the corpus; remove it first to replace it"
                )
            tmp = self.corpus_dir / f".{name}.upload-{os.getpid()}"
            tmp.write_bytes(data)
            os.replace(tmp, target)
            digest = hashlib.sha256(data).hexdigest()
            self.audit(user, "upload", name, digest, bytes=len(data))
        self.start_rebuild(user)
        return {"doc": name, "sha256": digest, "bytes": len(data), "rebuild": self.job.to_dict()}

    def known(self) -> dict[str, str]:
        """Documents an admin may remove: the indexed ones and the skipped files, by name."""
        names = {d.doc: "indexed" for d in self.assistant.documents()}
        for s in self.assistant.manifest.get("skipped", []):
            names.setdefault(s["path"], "skipped")
        return names

    def remove(self, user: str, doc: str) -> dict:
        """Remove a document (named as the index names it) from the corpus and start a rebuild."""
        with self._lock:
            if doc not in self.known():
                raise AdminError(
                    404, f"no document {doc!r} in the index; GET /api/v1/documents lists them"
                )
            path = (self.corpus_dir / doc).resolve()
            if self.corpus_dir.resolve() not in path.parents or not path.is_file():
                raise AdminError(404, f"{doc!r} is no longer in the corpus directory")
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
            path.unlink()
            self.audit(user, "remove", doc, digest)
        self.start_rebuild(user)
        return {"doc": doc, "sha256": digest, "rebuild": self.job.to_dict()}

    # -- the rebuild ------------------------------------------------------------------------
    def start_rebuild(self, user: str) -> None:
        """Rebuild in a background thread (or once more after the running one)."""
        with self._lock:
            if self.job.state == "running":
                self._pending = True
                return
            self.job = Job("running", "Rebuilding the index…", time.time())
        threading.Thread(target=self._run, args=(user,), daemon=True, name="cimic-rebuild").start()

    def _run(self, user: str) -> None:
        while True:
            try:
                report = self.assistant.rebuild()
                state = "published" if report.published else "unchanged"
                message = report.summary().replace("\n", "; ")
                skipped = "; ".join(f"{s.path}: {s.reason}" for s in report.skipped)
                if skipped:
                    message += f". Not indexed: {skipped}"
                gen = report.generation or None
            except (CimicError, OSError, ValueError, RuntimeError) as exc:
                state, message, gen = (
                    "failed",
                    f"The rebuild failed ({exc}); the last good index keeps serving.",
                    None,
                )
            # Written before the job shows its end, so whoever sees the end finds it in the log.
            self.audit(user, "rebuild", "", None, result=state, message=message)
            with self._lock:
                self.job = Job(state, message, self.job.started, time.time(), gen)
                again, self._pending = self._pending, False
                if again:
                    self.job = Job(
                        "running", "Rebuilding the index again for later changes…", time.time()
                    )
            if not again:
                return

    def wait(self, timeout: float = 600) -> Job:
        """Block until the rebuild is no longer running (tests, scripts)."""
        deadline = time.time() + timeout
        while self.job.state == "running" and time.time() < deadline:
            time.sleep(0.2)
        return self.job
