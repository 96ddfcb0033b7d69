"""Request bodies on /api and /v1 are bounded before anything reads them.

FastAPI parses a JSON or multipart body in full before a route runs, so the bound is kept here, in
front: a declared Content-Length over the limit is refused at once, and a body sent without one
(chunked) is counted as it arrives and cut off when it passes the limit.
"""

from __future__ import annotations

import json

JSON_LIMIT = 1024 * 1024  # questions, histories and chat messages: far below this
PREFIXES = ("/api/", "/v1/")


class BodyLimit:
    """ASGI middleware: 413 {"error": ...} for a body over its route's limit."""

    def __init__(self, app, upload_limit: int = 0):
        self.app = app
        self.upload_limit = upload_limit

    def limit(self, method: str, path: str) -> int | None:
        """The byte limit of a request body, None where this middleware does not apply."""
        if not path.startswith(PREFIXES):
            return None
        if method == "POST" and path.rstrip("/") == "/api/v1/documents" and self.upload_limit:
            return self.upload_limit + 64 * 1024  # the file and its multipart framing
        return JSON_LIMIT

    async def __call__(self, scope, receive, send):
        """Pass the request on, refusing or cutting off a body over the limit."""
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        limit = self.limit(scope.get("method", "GET"), scope.get("path", ""))
        if limit is None:
            return await self.app(scope, receive, send)
        headers = dict(scope.get("headers") or [])
        declared = headers.get(b"content-length")
        if declared is not None:
            try:
                too_big = int(declared) > limit
            except ValueError:
                return await _refuse(send, 400, "the Content-Length header is not a number")
            if too_big:
                return await _refuse(send, 413, _message(limit))
            return await self.app(scope, receive, send)
        seen = 0
        refused = False

        async def counted():
            nonlocal seen, refused
            if refused:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:  # answer now; the app sees the client go away
                    refused = True
                    await _refuse(send, 413, _message(limit))
                    return {"type": "http.disconnect"}
            return message

        async def guarded(message):
            if not refused:  # once refused, the app's own reply is dropped
                await send(message)

        return await self.app(scope, counted, guarded)


def _message(limit: int) -> str:
    return f"the request body is larger than {limit // 1024} KB; send less"


async def _refuse(send, status: int, message: str) -> None:
    body = json.dumps({"error": message}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
