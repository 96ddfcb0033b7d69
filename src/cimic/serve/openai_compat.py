"""An OpenAI-compatible chat endpoint, so existing chat front-ends (Open WebUI, …) can ask.

GET /v1/models lists one model, `cimic`. POST /v1/chat/completions takes the last user message as
the question and the earlier user messages as its history. The reply's content is the answer in
Markdown: the key sentence, then the numbered verbatim quotes with their citations, or the plain
abstention sentence with the weak matches marked as such. Nothing is generated: every quoted word
is the documents'. The full answer JSON (schema/answer.schema.json) travels in the extra top-level
field `cimic`. With `stream: true` the same content comes as server-sent events in OpenAI's chunk
format, the last chunk carrying `cimic`, then `data: [DONE]`.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from typing import Any

from fastapi import APIRouter, Depends
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from .. import Answer, Assistant, CimicError
from .errors import ApiError
from .rest import MAX_HISTORY, check_question

MODEL = "cimic"
CREATED = 1_735_689_600  # a fixed date for the model list (2025-01-01)
MAX_MESSAGES = 200


class Message(BaseModel):
    """One chat message; content is text or OpenAI's list of parts ({"type": "text", "text": …})."""

    model_config = ConfigDict(extra="allow")

    role: str
    content: str | list[dict[str, Any]] | None = None


class ChatRequest(BaseModel):
    """OpenAI's chat request; fields about generation (temperature, …) are accepted and ignored."""

    model_config = ConfigDict(extra="allow")

    model: str = MODEL
    messages: list[Message] = Field(min_length=1, max_length=MAX_MESSAGES)
    stream: bool = False
    n: int = 1


def _text(content: str | list[dict[str, Any]] | None) -> str:
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    return "\n".join(p.get("text", "") for p in content if p.get("type") == "text")


def _quote(text: str) -> list[str]:
    return ["> " + line if line.strip() else ">" for line in text.splitlines()]


def citation_text(p) -> str:
    """A citation as plain text: "title, section, page, characters a–b (doc)"."""
    parts = [p.title]
    if p.section and p.section != p.title:
        parts.append(p.section)
    if p.place():
        parts.append(p.place())
    parts.append(f"characters {p.start}–{p.end}")
    return ", ".join(parts) + f" ({p.doc})"


def markdown(answer: Answer) -> str:
    """The answer as a chat reply: key sentence, then numbered verbatim quotes with citations."""
    lines: list[str] = []
    if answer.abstained:
        lines += [answer.message.split(" The closest passages")[0], ""]
        if answer.weak_matches:
            lines += ["**Weak matches**, which may not answer the question:", ""]
        shown = answer.weak_matches
    else:
        key = answer.passages[0].key_text()
        lines += [f"**{key}** [1]" if key else "[1]", ""]
        shown = answer.passages
    for n, p in enumerate(shown, start=1):
        lines += [f"[{n}] *{citation_text(p)}*" + (" (NATO agreed)" if p.nato_agreed else "")]
        lines += _quote(p.text) + [""]
    return "\n".join(lines).rstrip() + "\n"


def _chunks(content: str) -> Iterator[str]:
    """The reply in pieces a client can show as they come: one paragraph at a time."""
    paragraphs = content.split("\n\n")
    for i, para in enumerate(paragraphs):
        yield para + ("\n\n" if i < len(paragraphs) - 1 else "")


def router(assistant: Assistant, client_auth) -> APIRouter:
    """The /v1 routes over one Assistant; `client_auth` is the dependency every route needs."""
    api = APIRouter(prefix="/v1", tags=["openai-compatible"], dependencies=[Depends(client_auth)])

    @api.get("/models", summary="The one model: cimic")
    def models() -> dict[str, Any]:
        """OpenAI's model list."""
        return {
            "object": "list",
            "data": [{"id": MODEL, "object": "model", "created": CREATED, "owned_by": "cimic"}],
        }

    @api.post("/chat/completions", summary="Ask, in OpenAI's chat format")
    def chat(body: ChatRequest):
        """The last user message is the question, earlier user messages its history."""
        if body.model != MODEL:
            raise ApiError(404, f"no model {body.model!r}: this server has one model, {MODEL!r}")
        if body.n != 1:
            raise ApiError(400, "n must be 1: there is one answer to a question")
        users = [_text(m.content) for m in body.messages if m.role == "user"]
        if not users:
            raise ApiError(400, "send at least one message with role 'user': the question")
        question, history = users[-1], [u for u in users[:-1] if u.strip()][-MAX_HISTORY:]
        check_question(question, history)
        try:
            answer = assistant.ask(question, history=history)
        except CimicError as exc:
            raise ApiError(400, str(exc)) from None
        content = markdown(answer)
        ident = f"chatcmpl-{uuid.uuid4().hex[:24]}"
        created = int(time.time())
        if not body.stream:
            return {
                "id": ident,
                "object": "chat.completion",
                "created": created,
                "model": MODEL,
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": content},
                        "finish_reason": "stop",
                    }
                ],
                "usage": {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0},
                "cimic": answer.to_dict(),
            }

        def event(delta: dict, finish: str | None = None, extra: dict | None = None) -> str:
            chunk = {
                "id": ident,
                "object": "chat.completion.chunk",
                "created": created,
                "model": MODEL,
                "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
                **(extra or {}),
            }
            return f"data: {json.dumps(chunk, ensure_ascii=False)}\n\n"

        def stream() -> Iterator[str]:
            yield event({"role": "assistant", "content": ""})
            for piece in _chunks(content):
                yield event({"content": piece})
            yield event({}, "stop", {"cimic": answer.to_dict()})
            yield "data: [DONE]\n\n"

        return StreamingResponse(stream(), media_type="text/event-stream")

    return api
