"""Every refusal of the HTTP doors as {"error": "..."}: a 4xx that says what to do, never a traceback."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

log = logging.getLogger("cimic")
API_PREFIXES = ("/api/", "/v1/")


class ApiError(Exception):
    """A refusal with its HTTP status and a message for the client."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}


def _field(loc) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path")]
    return ".".join(parts) or "the request body"


def describe(errors: list[dict]) -> str:
    """One sentence from pydantic's validation errors."""
    if not errors:
        return "the request is not valid"
    e = errors[0]
    kind = e.get("type", "")
    if kind == "json_invalid":
        return 'the body is not valid JSON: send a JSON object such as {"question": "..."}'
    if (
        kind in ("model_attributes_type", "dict_type")
        and _field(e.get("loc", ())) == "the request body"
    ):
        return 'the body must be a JSON object such as {"question": "..."}'
    field = _field(e.get("loc", ()))
    if kind == "missing":
        return f"{field} is required"
    if kind == "extra_forbidden":
        return f"{field} is not a field this endpoint knows; remove it"
    return f"{field}: {e.get('msg', 'is not valid').lower()}"


def install(app: FastAPI) -> None:
    """Answer errors on /api and /v1 as {"error": ...} (the UI keeps Gradio's own handling)."""

    @app.exception_handler(ApiError)
    async def _api_error(request: Request, exc: ApiError) -> JSONResponse:
        return JSONResponse({"error": exc.message}, status_code=exc.status, headers=exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = list(exc.errors())
        status = 400 if errors and errors[0].get("type") == "json_invalid" else 422
        return JSONResponse({"error": describe(errors)}, status_code=status)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        message = exc.detail if isinstance(exc.detail, str) else "request refused"
        if exc.status_code == 404:
            message = f"no such endpoint: {request.method} {request.url.path}; see /openapi.json"
        elif exc.status_code == 405:
            message = f"{request.method} is not allowed on {request.url.path}; see /openapi.json"
        return JSONResponse(
            {"error": message}, status_code=exc.status_code, headers=getattr(exc, "headers", None)
        )

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error on %s", request.url.path)
        return JSONResponse(
            {"error": "the server could not answer this request; its log says why"},
            status_code=500,
        )
