"""The Gradio chat UI: questions in, verbatim cited passages out, with the source view."""

from __future__ import annotations

import atexit
import datetime as dt
import html
import json
import os
import shutil
import tempfile
import threading
from pathlib import Path
from urllib.parse import quote, unquote

import gradio as gr

from .. import Answer, Assistant, CimicError, Passage
from .openai_compat import citation_text

EXAMPLES = [
    "What are the seven baseline requirements of NATO for civil preparedness?",
    "How is civil-military interaction (CMI) defined?",
    "Which five areas does NATO's approach to human security encompass?",
    "What are the responsibilities of the IMS Office of the Gender Advisor?",
    "How did gender perspectives help CIMIC teams in South Sudan?",
]
MAX_QUESTION_CHARS = 2000
K = 5
CITE_PREFIX = "#cite:"

CSS = """
#chat mark, #source-view mark.key { background: #ffe58a; color: inherit; padding: 0 1px; }
#source-view mark.passage { background: #fff4c2; color: inherit; }
#source-view mark.key { background: #ffd23f; }
.citation { border-left: 3px solid #7a9cc6; padding: 2px 0 2px 10px; margin: 10px 0; }
.citation blockquote { margin: 6px 0; white-space: pre-wrap; }
.citation .meta { font-size: 0.85em; opacity: 0.85; }
.agreed { background: #1f5f3f; color: #fff; border-radius: 4px; padding: 0 6px; font-size: 0.8em; }
.weak { border-left-color: #b0b0b0; opacity: 0.9; }
.key-answer { font-size: 1.05em; }
#source-view .doc-text { position: relative; white-space: pre-wrap; max-height: 70vh; overflow-y: auto; padding: 8px;
  border: 1px solid #ddd; border-radius: 6px; font-size: 0.92em; line-height: 1.45; }
#status { font-size: 0.85em; opacity: 0.85; }
.copy-cite { font-size: 0.75em; padding: 0 6px; margin-left: 6px; border: 1px solid #9ab;
  border-radius: 4px; background: transparent; cursor: pointer; }
.copy-cite.copied { background: #dff0d8; }
@media (max-width: 700px) { #side { min-width: 100% !important; } }
"""

# Clicking a citation link in the chat opens the source view: the link carries doc|start|end,
# which this script hands to a hidden textbox and button so the server renders the document.
JS = """
() => {
  document.addEventListener('click', (event) => {
    const copy = event.target.closest('button.copy-cite');
    if (copy) {
      event.preventDefault();
      const text = copy.getAttribute('data-cite');
      const done = () => { copy.classList.add('copied'); copy.textContent = 'Copied'; };
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(text).then(done, () => {});
      } else {  // plain http on another host: the old way
        const area = document.createElement('textarea');
        area.value = text; document.body.appendChild(area); area.select();
        try { document.execCommand('copy'); done(); } finally { area.remove(); }
      }
      return;
    }
    const link = event.target.closest('a[href^="#cite:"]');
    if (!link) return;
    event.preventDefault();
    const box = document.querySelector('#cite-target textarea, #cite-target input');
    const button = document.querySelector('#cite-open');
    if (!box || !button) return;
    box.value = decodeURIComponent(link.getAttribute('href').slice(6));
    box.dispatchEvent(new Event('input', { bubbles: true }));
    setTimeout(() => button.click(), 50);
  });
}
"""
# A new answer is shown from its beginning (its key sentence), not scrolled to its last citation.
ANSWER_TOP_JS = """
() => {
  setTimeout(() => {
    const bots = document.querySelectorAll('#chat .message-wrap [data-testid="bot"], #chat .bot');
    const last = bots[bots.length - 1];
    if (!last) return;
    let box = last.parentElement;
    while (box && box !== document.body && !(box.scrollHeight > box.clientHeight + 4 &&
           ['auto', 'scroll'].includes(getComputedStyle(box).overflowY))) box = box.parentElement;
    if (box && box !== document.body) {
      box.scrollTop += last.getBoundingClientRect().top - box.getBoundingClientRect().top - 8;
    }
  }, 150);
}
"""
SCROLL_JS = """
() => {
  setTimeout(() => {
    const mark = document.querySelector('#source-view mark.passage');
    const box = document.querySelector('#source-view .doc-text');
    if (!mark || !box) return;
    box.scrollTop = mark.offsetTop - box.offsetTop - 40;
    const view = document.querySelector('#source-view');
    const r = view.getBoundingClientRect();
    if (r.top < 0 || r.top > window.innerHeight) view.scrollIntoView({ block: 'start' });
  }, 100);
}
"""


def _marked(text: str, spans: list[tuple[int, int]], css: str = "") -> str:
    """Text as HTML with the given spans wrapped in <mark>."""
    parts, pos = [], 0
    attr = f' class="{css}"' if css else ""
    for s, e in sorted(spans):
        parts += [html.escape(text[pos:s]), f"<mark{attr}>", html.escape(text[s:e]), "</mark>"]
        pos = e
    parts.append(html.escape(text[pos:]))
    return "".join(parts)


def _source(p: Passage) -> str:
    if not p.source:
        return ""
    src = html.escape(p.source)
    if p.source.startswith(("http://", "https://")):
        return f' · source: <a href="{src}" target="_blank" rel="noopener noreferrer">{src}</a>'
    return f" · source: {src}"


def citation(n: int, p: Passage, weak: bool = False) -> str:
    """One numbered citation: where it stands (a link to the source view), then the quote."""
    section = p.section if p.section and p.section != p.title else None
    where = html.escape(p.title) + (f" — {html.escape(section)}" if section else "")
    agreed = (
        ' <span class="agreed" title="NATO agreed definition">NATO agreed</span>'
        if p.nato_agreed
        else ""
    )
    target = quote(f"{p.doc}|{p.start}|{p.end}", safe="")
    page = f", {html.escape(p.place())}" if p.place() else ""
    page += f" · {html.escape(p.classification)}" if p.classification else ""
    also = f" · also in {len(p.also_in)} other place(s)" if p.also_in else ""
    plain = html.escape(citation_text(p), quote=True)
    return (
        f'<div class="citation{" weak" if weak else ""}">'
        f'<div><strong>[{n}]</strong> <a href="{CITE_PREFIX}{target}" title="Open in the document">{where}</a>'
        f'{agreed} <button type="button" class="copy-cite" data-cite="{plain}" '
        f'title="Copy the citation as text">Copy citation</button></div>'
        f'<div class="meta">{html.escape(p.doc)}{page}, characters {p.start}–{p.end}{_source(p)}{also}</div>'
        f"<blockquote>{_marked(p.text, list(p.highlights))}</blockquote></div>"
    )


def render(answer: Answer) -> str:
    """The chat message for an answer: key sentence first, then numbered citations."""
    out = []
    if answer.query != answer.question:
        out.append(f"<p><em>Searched for: {html.escape(answer.query)}</em></p>")
    if answer.abstained:
        out.append(f"<p><strong>{html.escape(answer.message.split('.')[0])}.</strong></p>")
        if answer.weak_matches:
            out.append(
                "<p>Closest passages, <strong>weak matches</strong> that may not answer it:</p>"
            )
            out += [citation(n, p, weak=True) for n, p in enumerate(answer.weak_matches, 1)]
        return "\n".join(out)
    key = answer.passages[0].key_text()
    out.append(f'<p class="key-answer"><mark>{html.escape(key)}</mark> [1]</p>')
    out += [citation(n, p) for n, p in enumerate(answer.passages, 1)]
    return "\n".join(out)


def source_view(assistant: Assistant, target: str) -> str:
    """The whole document with the cited passage (and its key sentences) highlighted."""
    try:
        doc, start, end = unquote(target).rsplit("|", 2)
        start, end = int(start), int(end)
        d = assistant.document(doc)
    except (ValueError, CimicError):
        return "<p>That citation cannot be opened; ask the question again.</p>"
    if not 0 <= start < end <= len(d.text):
        return "<p>That citation points outside the document; the index may have changed.</p>"
    meta = " · ".join(html.escape(x) for x in (d.publisher, d.date, d.source) if x)
    body = (
        html.escape(d.text[:start])
        + '<mark class="passage">'
        + html.escape(d.text[start:end])
        + "</mark>"
        + html.escape(d.text[end:])
    )
    return (
        f"<h3>{html.escape(d.title)}</h3><p class='meta'>{html.escape(d.doc)}"
        f"{' · ' + meta if meta else ''}</p><div class='doc-text'>{body}</div>"
    )


class FeedbackLog:
    """Appends thumbs up/down, with the question and passages, to a local JSONL file."""

    def __init__(self, path: Path):
        self.path = path
        self._lock = threading.Lock()

    def record(self, answer: dict, liked: bool) -> None:
        """Append one judgement."""
        row = {
            "timestamp": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "liked": liked,
            "question": answer["question"],
            "query": answer["query"],
            "abstained": answer["abstained"],
            "passages": [
                {k: p[k] for k in ("doc", "start", "end", "score", "text")}
                for p in answer["passages"] or answer["weak_matches"]
            ],
        }
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with open(self.path, "a", encoding="utf-8") as f:
                f.write(json.dumps(row, ensure_ascii=False) + "\n")


def documents_table(assistant: Assistant) -> str:
    """What is indexed (title, file, passages, pages, when) and what was skipped, as HTML."""
    m = assistant.manifest
    built = m.get("documents", {})
    rows = "".join(
        f"<tr><td>{html.escape(d.title)}</td><td><code>{html.escape(d.doc)}</code></td>"
        f"<td>{int(built.get(d.doc, {}).get('chunks', 0))}</td>"
        f"<td>{len(d.page_starts) or '–'}</td><td>{html.escape(str(m.get('built_at', '')))}</td></tr>"
        for d in sorted(assistant.documents(), key=lambda d: d.title.lower())
    )
    out = (
        "<table id='doc-table'><thead><tr><th>Title</th><th>File</th><th>Passages</th>"
        f"<th>Pages</th><th>Indexed</th></tr></thead><tbody>{rows}</tbody></table>"
    )
    skipped = m.get("skipped", [])
    if skipped:
        out += "<h4>Not indexed</h4><table id='skipped-table'><tr><th>File</th><th>Why</th></tr>"
        out += "".join(
            f"<tr><td><code>{html.escape(x['path'])}</code></td><td>{html.escape(x['reason'])}</td></tr>"
            for x in skipped
        )
        out += "</table>"
    return out


def documents_tab(assistant: Assistant, manager, access, doc_filter) -> gr.Timer | None:
    """The Documents tab: the list for everyone; login, upload, remove and rebuild for admins.

    Returns the timer that polls a running rebuild (None without admins), so other parts of the
    page can refresh on it too."""
    import hmac
    import time as _time

    table = gr.HTML(documents_table(assistant), elem_id="documents")
    if manager is None or access is None or not access.admins:
        return None
    from .admin import ALLOWED, AdminError

    admin = gr.State(None)  # the logged-in admin's name, kept on the server for this session
    with gr.Group(elem_id="admin"):
        gr.Markdown("### Manage documents (admins)")
        with gr.Row(visible=True) as login_row:
            user = gr.Textbox(label="Admin user", elem_id="admin-user", scale=2)
            password = gr.Textbox(
                label="Password", type="password", elem_id="admin-password", scale=2
            )
            login = gr.Button("Log in", elem_id="admin-login", scale=1)
        note = gr.Markdown("", elem_id="admin-note")
        with gr.Column(visible=False) as controls:
            upload = gr.File(
                label=f"Add a document ({', '.join(ALLOWED)}; at most "
                f"{manager.max_bytes // 2**20} MB)",
                file_types=list(ALLOWED),
                type="filepath",
                elem_id="admin-upload",
            )
            add = gr.Button("Add to the corpus", variant="primary", elem_id="admin-add")
            with gr.Row():
                victim = gr.Dropdown(
                    choices=sorted(manager.known()),
                    label="Remove a document",
                    elem_id="admin-remove-choice",
                    scale=3,
                )
                remove = gr.Button("Remove", variant="stop", elem_id="admin-remove", scale=1)
        job = gr.Markdown("", elem_id="rebuild-status")
        timer = gr.Timer(1.0, active=False)

    def job_text() -> str:
        j = manager.job.to_dict()
        secs = f" ({j['seconds']} s)" if "seconds" in j else ""
        return f"**Rebuild: {j['state']}**{secs}. {j['message']}"

    def do_login(name: str, secret: str):
        expected = access.admins.get(name or "", "")
        if expected and hmac.compare_digest(expected.encode(), (secret or "").encode()):
            return (
                name,
                gr.update(visible=False),
                gr.update(visible=True),
                f"Logged in as **{html.escape(name)}**. Every change is written to the audit log.",
                "",
            )
        _time.sleep(1.0)  # slows guessing
        return None, gr.update(), gr.update(visible=False), "**Wrong user name or password.**", ""

    def refresh():
        running = manager.job.state == "running"
        choices = sorted(manager.known())
        titles = [(d.title, d.doc) for d in assistant.documents()]
        return (
            job_text(),
            documents_table(assistant),
            gr.update(choices=choices),
            gr.update(choices=titles),
            gr.Timer(active=running),
        )

    def do_add(who, path):
        if not who:
            return "**Log in as an admin first.**", gr.update(), gr.Timer(active=False)
        if not path:
            return "**Choose a file first.**", gr.update(), gr.Timer(active=False)
        try:
            done = manager.upload(who, Path(path).name, Path(path).read_bytes())
        except AdminError as exc:
            return f"**{html.escape(exc.message)}**", gr.update(), gr.Timer(active=False)
        return (
            f"Added **{html.escape(done['doc'])}** (sha256 {done['sha256'][:12]}…). " + job_text(),
            gr.update(value=None),
            gr.Timer(active=True),
        )

    def do_remove(who, doc):
        if not who:
            return "**Log in as an admin first.**", gr.Timer(active=False)
        if not doc:
            return "**Choose a document to remove.**", gr.Timer(active=False)
        try:
            done = manager.remove(who, doc)
        except AdminError as exc:
            return f"**{html.escape(exc.message)}**", gr.Timer(active=False)
        return f"Removed **{html.escape(done['doc'])}**. " + job_text(), gr.Timer(active=True)

    login.click(
        do_login,
        [user, password],
        [admin, login_row, controls, note, password],
        api_visibility="private",
    )
    password.submit(
        do_login,
        [user, password],
        [admin, login_row, controls, note, password],
        api_visibility="private",
    )
    add.click(do_add, [admin, upload], [job, upload, timer], api_visibility="private")
    remove.click(do_remove, [admin, victim], [job, timer], api_visibility="private")
    timer.tick(refresh, None, [job, table, victim, doc_filter, timer], api_visibility="private")


def build_ui(assistant: Assistant, feedback: FeedbackLog, manager=None, access=None) -> gr.Blocks:
    """The chat UI, the Documents tab (with admin controls when admins exist) and the /ask endpoint."""
    titles = {d.doc: d.title for d in assistant.documents()}
    downloads = Path(tempfile.mkdtemp(prefix="cimic-answers-"))
    atexit.register(shutil.rmtree, downloads, True)  # the answers offered for download this run

    def status() -> str:
        m = assistant.manifest
        text = (
            f"{m['counts']['documents']} documents, {m['counts']['chunks']} passages · index built "
            f"{m['built_at']} · model {m['model']['name']}"
        )
        if assistant.stale():
            text += " · **corpus/ has changed since the index was built: run `cimic index` to update it.**"
        return text

    def respond(question: str, chat: list, asked: list, answers: dict, docs: list[str]):
        question = (question or "").strip()
        if not question:
            return "", chat, asked, answers, gr.update()
        try:
            answer = assistant.ask(question, history=asked, k=K, docs=docs or None)
            reply = render(answer)
            asked = [*asked, question]
            answers = {**answers, str(len(chat) + 1): answer.to_dict()}
            path = downloads / f"answer-{len(answers)}-{os.getpid()}-{id(answers)}.md"
            path.write_text(answer.to_markdown(), encoding="utf-8")
            download = gr.update(value=str(path), interactive=True)
        except CimicError as exc:
            reply = f"<p><strong>{html.escape(str(exc))}</strong></p>"
            download = gr.update()
        chat = [
            *chat,
            {"role": "user", "content": question},
            {"role": "assistant", "content": reply},
        ]
        return "", chat, asked, answers, download

    def on_like(answers: dict, data: gr.LikeData) -> None:
        answer = answers.get(str(data.index if isinstance(data.index, int) else data.index[0]))
        if answer is not None:
            feedback.record(answer, bool(data.liked))

    def clear():
        return [], [], {}, gr.update(value=None, interactive=False), ""

    def ask(question: str, history: list[str] | None = None) -> dict:
        """Answer a question from NATO documents on civil-military cooperation (CIMIC), gender
        perspectives and human security, with verbatim passages and their citations.

        Args:
            question: the question, in plain language (at most 2,000 characters).
            history: the user's earlier questions in this conversation, oldest first, so that a follow-up such as "and in peacetime?" is understood; may be empty.

        Returns:
            question, query (the standalone query searched), abstained (true when the documents
            don't cover it), message, passages (text, doc, title, source, section, start, end,
            score, highlights, nato_agreed, kind, keywords, also_in, page), weak_matches; or error.
            The shape is schema/answer.schema.json.
        """
        try:
            return assistant.ask(question, history=list(history or []), k=K).to_dict()
        except CimicError as exc:
            return {"error": str(exc)}

    with gr.Blocks(title="CIMIC assistant", fill_width=True) as demo:
        gr.Markdown(
            "## CIMIC assistant\nVerbatim, cited passages from NATO documents on civil-military "
            "cooperation, gender perspectives and human security. Click a citation to read it in its document."
        )
        asked = gr.State([])
        answers = gr.State({})
        with gr.Tabs(elem_id="tabs"):
            with gr.Tab("Ask", id="ask", elem_id="tab-ask"), gr.Row(equal_height=False):
                with gr.Column(scale=3, min_width=320):
                    chat = gr.Chatbot(
                        label="Conversation",
                        show_label=False,
                        height="62vh",
                        elem_id="chat",
                        buttons=["copy"],
                        feedback_options=("Like", "Dislike"),
                        autoscroll=False,  # ANSWER_TOP_JS shows a new answer from its start
                        sanitize_html=False,  # every text put into a message is escaped above
                        placeholder="Ask a question about the documents, or start from an example below.",
                    )
                    with gr.Row():
                        box = gr.Textbox(
                            label="Question",
                            placeholder="Ask about the documents and press Enter…",
                            scale=5,
                            max_length=MAX_QUESTION_CHARS,
                            elem_id="question",
                            autofocus=True,
                            submit_btn=False,
                        )
                        send = gr.Button(
                            "Ask", variant="primary", scale=1, elem_id="ask", min_width=80
                        )
                    with gr.Row():
                        clear_btn = gr.Button("New conversation", elem_id="clear", size="sm")
                        download = gr.DownloadButton(
                            "Download last answer (.md)",
                            interactive=False,
                            elem_id="download",
                            size="sm",
                        )
                    docs = gr.Dropdown(
                        choices=[(t, d) for d, t in titles.items()],
                        multiselect=True,
                        label="Search in (all documents when empty)",
                        elem_id="doc-filter",
                    )
                    gr.Examples(EXAMPLES, inputs=box, label="Example questions")
                with gr.Column(scale=2, min_width=300, elem_id="side"):
                    source = gr.HTML(
                        "<p>Click a citation to see it in its document.</p>",
                        elem_id="source-view",
                        label="Source",
                    )
            with gr.Tab("Documents", id="documents", elem_id="tab-documents"):
                rebuild_timer = documents_tab(assistant, manager, access, docs)
        status_line = gr.Markdown(status(), elem_id="status")
        if rebuild_timer is not None:  # the status line follows a rebuild too
            rebuild_timer.tick(status, None, status_line, api_visibility="private")
        target = gr.Textbox(visible="hidden", elem_id="cite-target", label="citation")
        opener = gr.Button("open", visible="hidden", elem_id="cite-open")

        outputs = [box, chat, asked, answers, download]
        inputs = [box, chat, asked, answers, docs]
        box.submit(respond, inputs, outputs, api_visibility="private").then(
            None, None, None, js=ANSWER_TOP_JS
        )
        send.click(respond, inputs, outputs, api_visibility="private").then(
            None, None, None, js=ANSWER_TOP_JS
        )
        clear_btn.click(
            clear, None, [chat, asked, answers, download, box], api_visibility="private"
        )
        chat.like(on_like, [answers], None, api_visibility="private")
        opener.click(
            lambda t: source_view(assistant, t), target, source, api_visibility="private"
        ).then(None, None, None, js=SCROLL_JS)
        gr.api(ask, api_name="ask")
    return demo
