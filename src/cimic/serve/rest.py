"""The REST API under /api/v1: ask, the indexed documents, status. Described by /openapi.json.

Documents are looked up in the served index by their name; nothing from a URL is ever used as a
path on disk. Every refusal is a 4xx with {"error": "..."} saying what to do.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Request, UploadFile
from pydantic import BaseModel, ConfigDict, Field

from .. import Assistant, CimicError
from .errors import ApiError

MAX_QUESTION_CHARS = 2_000
MAX_HISTORY = 20
MAX_K = 20
MAX_DOCS = 100


class AskRequest(BaseModel):
    """A question, with the user's earlier questions and an optional document filter."""

    model_config = ConfigDict(extra="forbid")

    question: str = Field(description="the question, in plain language (1 to 2,000 characters)")
    history: list[str] = Field(
        default_factory=list,
        max_length=MAX_HISTORY,
        description="the user's earlier questions in this conversation, oldest first",
    )
    k: int = Field(default=5, ge=1, le=MAX_K, description="how many passages to return (1-20)")
    docs: list[str] = Field(
        default_factory=list,
        max_length=MAX_DOCS,
        description="search only these documents (names as GET /api/v1/documents lists them)",
    )


class DocumentSummary(BaseModel):
    """One indexed document."""

    doc: str
    title: str
    passages: int
    pages: int | None
    sha256: str
    source: str | None = None
    publisher: str | None = None
    date: str | None = None


class Skipped(BaseModel):
    """A corpus file that was not indexed, and why."""

    path: str
    reason: str


class DocumentList(BaseModel):
    """What the index holds and what it left out."""

    documents: list[DocumentSummary]
    skipped: list[Skipped]
    indexed_at: str | None


class DocumentText(DocumentSummary):
    """One document's metadata and its text: the text every passage's start/end point into."""

    text: str
    page_starts: list[int] = Field(
        default_factory=list, description="PDF: where each page starts in text"
    )


class Status(BaseModel):
    """The served index."""

    generation: str
    built_at: str | None
    model: str | None
    documents: int
    passages: int
    corpus_changed: bool
    query_encoder: str
    skipped: list[Skipped]
    catalog_problems: list[str]


def check_question(question: str, history: list[str]) -> None:
    """Refuse an empty or over-long question (or history entry) with a message saying what to do."""
    if not question.strip():
        raise ApiError(400, "the question is empty: send a question in plain language")
    if len(question) > MAX_QUESTION_CHARS:
        raise ApiError(
            400, f"the question has {len(question)} characters; keep it to {MAX_QUESTION_CHARS}"
        )
    for h in history:
        if len(h) > MAX_QUESTION_CHARS:
            raise ApiError(
                400, f"a history entry is longer than {MAX_QUESTION_CHARS} characters; shorten it"
            )


def _summary(assistant: Assistant, doc) -> dict[str, Any]:
    built = assistant.manifest.get("documents", {}).get(doc.doc, {})
    return {
        "doc": doc.doc,
        "title": doc.title,
        "passages": int(built.get("chunks", 0)),
        "pages": len(doc.page_starts) or None,
        "sha256": doc.sha256,
        "source": doc.source,
        "publisher": doc.publisher,
        "date": doc.date,
    }


def router(assistant: Assistant, client_auth) -> APIRouter:
    """The /api/v1 routes over one Assistant; `client_auth` is the dependency every route needs."""
    api = APIRouter(prefix="/api/v1", tags=["cimic"], dependencies=[Depends(client_auth)])

    @api.post(
        "/ask",
        summary="Ask a question",
        response_description="the answer: schema/answer.schema.json",
        responses={400: {"description": "bad question"}, 404: {"description": "unknown doc"}},
    )
    def ask(body: AskRequest) -> dict[str, Any]:
        """Verbatim passages with their citations, or an abstention that says what is missing."""
        check_question(body.question, body.history)
        known = {d.doc for d in assistant.documents()}
        unknown = [d for d in body.docs if d not in known]
        if unknown:
            raise ApiError(
                404,
                f"no document {unknown[0]!r} in the index; GET /api/v1/documents lists them",
            )
        try:
            answer = assistant.ask(
                body.question, history=body.history, k=body.k, docs=body.docs or None
            )
        except CimicError as exc:
            raise ApiError(400, str(exc)) from None
        return answer.to_dict()

    @api.get("/documents", summary="The indexed documents", response_model=DocumentList)
    def documents() -> dict[str, Any]:
        """Each indexed document (name, title, passages, pages, sha256) and the skipped files."""
        m = assistant.manifest
        return {
            "documents": [_summary(assistant, d) for d in assistant.documents()],
            "skipped": m.get("skipped", []),
            "indexed_at": m.get("built_at"),
        }

    @api.get(
        "/documents/{doc:path}",
        summary="One document and its text",
        response_model=DocumentText,
        responses={404: {"description": "unknown document"}},
    )
    def document(doc: str) -> dict[str, Any]:
        """Its metadata and `text`, so a client can check a citation: text[start:end] is the quote."""
        try:
            d = assistant.document(doc)  # looked up in the index, never on disk
        except CimicError:
            raise ApiError(
                404, f"no document {doc!r} in the index; GET /api/v1/documents lists them"
            ) from None
        return {**_summary(assistant, d), "text": d.text, "page_starts": list(d.page_starts)}

    @api.get("/status", summary="The served index", response_model=Status)
    def status() -> dict[str, Any]:
        """The generation served, when it was built, with which model, and whether corpus/ changed."""
        m = assistant.manifest
        return {
            "generation": assistant.current().path.name,
            "built_at": m.get("built_at"),
            "model": (m.get("model") or {}).get("name"),
            "documents": int(m.get("counts", {}).get("documents", 0)),
            "passages": int(m.get("counts", {}).get("chunks", 0)),
            "corpus_changed": assistant.stale(),
            "query_encoder": getattr(assistant.encoder, "query_backend", "pytorch"),
            "skipped": m.get("skipped", []),
            "catalog_problems": m.get("catalog_problems", []),
        }

    return api


def admin_router(manager, admin_auth) -> APIRouter:
    """POST and DELETE /api/v1/documents for admins (HTTP Basic); only when admins are configured."""
    from .admin import AdminError

    def admin(request: Request) -> None:
        request.state.admin = admin_auth(request)  # 401 unless HTTP Basic admin credentials

    api = APIRouter(prefix="/api/v1", tags=["admin"], dependencies=[Depends(admin)])

    @api.post(
        "/documents",
        status_code=202,
        summary="Add a document (admin)",
        responses={401: {}, 409: {}, 413: {}, 415: {}},
    )
    async def upload(
        request: Request,
        file: Annotated[UploadFile, File(description="the document: .txt, .md, .html or .pdf")],
    ) -> dict[str, Any]:
        """Multipart field `file` (.txt, .md, .html, .pdf); the index is rebuilt in the background."""
        declared = int(request.headers.get("content-length") or 0)
        if declared > manager.max_bytes + 64 * 1024:
            raise ApiError(413, f"the upload is larger than {manager.max_bytes // 2**20} MB")
        data = await file.read(manager.max_bytes + 1)
        try:
            return manager.upload(request.state.admin, file.filename or "", data)
        except AdminError as exc:
            raise ApiError(exc.status, exc.message) from None

    @api.delete(
        "/documents/{doc:path}",
        status_code=202,
        summary="Remove a document (admin)",
        responses={401: {}, 404: {}},
    )
    def remove(doc: str, request: Request) -> dict[str, Any]:
        """Remove it from the corpus (by its name in the index); the index is rebuilt in the background."""
        try:
            return manager.remove(request.state.admin, doc)
        except AdminError as exc:
            raise ApiError(exc.status, exc.message) from None

    @api.get("/rebuild", summary="The background rebuild (admin)")
    def rebuild() -> dict[str, Any]:
        """State of the last rebuild: running, published, unchanged or failed, and why."""
        return manager.job.to_dict()

    return api
