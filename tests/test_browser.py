"""The UI in a real headless Chromium (Debian's /usr/bin/chromium driven by Playwright).

Screenshots at desktop and phone width are kept in test-artifacts/ for a person to look at.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from .conftest import ROOT

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = ROOT / "test-artifacts"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail("chromium is missing: `make system-deps` installs it from Debian")
        pytest.skip("chromium not installed (make system-deps)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield b
        b.close()


def _open(browser, url: str, width: int = 1400, height: int = 1000):
    page = browser.new_page(viewport={"width": width, "height": height}, accept_downloads=True)
    page.set_default_timeout(60_000)
    page.goto(url)
    page.wait_for_selector("#question textarea")
    return page


def _ask(page, question: str) -> None:
    before = page.locator("#chat .message-wrap [data-testid='bot'], #chat .bot").count()
    page.fill("#question textarea", question)
    page.press("#question textarea", "Enter")
    page.wait_for_function(
        "n => document.querySelectorAll(\"#chat .message-wrap [data-testid='bot'], #chat .bot\").length > n",
        arg=before,
    )
    page.wait_for_timeout(300)


def _last_answer(page):
    return page.locator("#chat .message-wrap [data-testid='bot'], #chat .bot").last


def _shot(page, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / name
    page.screenshot(path=str(path))
    assert path.stat().st_size > 10_000
    return path


def test_question_gives_cited_highlighted_passages_and_source_view(browser, app_url):
    page = _open(browser, app_url)
    _ask(page, "What is civil-military cooperation?")
    answer = _last_answer(page)
    assert answer.locator(".citation").count() >= 1
    first = answer.locator(".citation").first
    assert first.locator("blockquote mark").count() >= 1  # key sentence highlighted
    assert "CIMIC Concepts and Terminology" in first.inner_text()
    assert answer.locator(".agreed").count() >= 1  # NATO agreed definition marked
    assert "characters" in first.locator(".meta").inner_text()
    answer.evaluate("el => el.scrollIntoView({block: 'start'})")
    _shot(page, "desktop-answer.png")

    quoted = first.locator("blockquote").inner_text().strip()[:60]
    first.locator("a[href^='#cite:']").click()
    page.wait_for_selector("#source-view mark.passage")
    passage = page.locator("#source-view mark.passage")
    assert " ".join(quoted.split()) in " ".join(passage.inner_text().split())
    page.wait_for_timeout(500)
    # The passage is scrolled into view inside the document pane.
    assert page.evaluate(
        """() => { const m = document.querySelector('#source-view mark.passage');
                   const box = document.querySelector('#source-view .doc-text');
                   const a = m.getBoundingClientRect(), b = box.getBoundingClientRect();
                   return a.top < b.bottom && a.bottom > b.top; }"""
    )
    _shot(page, "desktop-source-view.png")
    page.close()


def test_follow_up_shows_the_searched_query(browser, app_url):
    page = _open(browser, app_url)
    _ask(page, "What is CMI?")
    _ask(page, "and in peacetime?")
    text = _last_answer(page).inner_text()
    assert "Searched for:" in text and "CMI" in text
    page.close()


def test_out_of_scope_question_abstains_with_weak_matches(browser, app_url):
    page = _open(browser, app_url)
    _ask(page, "How do I make a sourdough starter at home?")
    answer = _last_answer(page)
    assert "weak matches" in answer.inner_text()
    assert answer.locator(".citation.weak").count() >= 1
    answer.evaluate("el => el.scrollIntoView({block: 'start'})")
    _shot(page, "desktop-abstention.png")
    page.close()


def test_phone_width_is_usable(browser, app_url):
    page = _open(browser, app_url, width=390, height=844)
    assert page.evaluate("document.documentElement.scrollWidth") <= 400  # no sideways scrolling
    _ask(page, "What are the seven baseline requirements?")
    answer = _last_answer(page)
    assert "Resilient energy supplies" in answer.inner_text()
    answer.evaluate("el => el.scrollIntoView({block: 'start'})")
    _shot(page, "phone-answer.png")
    page.close()


def test_download_feedback_and_new_conversation(browser, app_server):
    url, feedback = app_server
    page = _open(browser, url)
    _ask(page, "What is wargaming?")
    with page.expect_download() as info:
        page.click("#download")
    markdown = Path(info.value.path()).read_text(encoding="utf-8")
    assert (
        markdown.startswith("## What is wargaming?") and "[1]" in markdown and "Source:" in markdown
    )

    lines_before = feedback.read_text().count("\n") if feedback.exists() else 0
    page.locator("#chat button[aria-label='Like'], #chat button[title='Like']").last.click()
    page.wait_for_timeout(1000)
    rows = [json.loads(x) for x in feedback.read_text(encoding="utf-8").splitlines()]
    assert len(rows) == lines_before + 1
    assert rows[-1]["liked"] is True and rows[-1]["question"] == "What is wargaming?"
    assert rows[-1]["passages"] and rows[-1]["timestamp"]

    page.click("#clear")
    page.wait_for_timeout(500)
    assert page.locator("#chat .citation").count() == 0
    page.close()


def test_keyboard_only(browser, app_url):
    page = _open(browser, app_url)
    page.focus("#question textarea")
    page.keyboard.type("What is wargaming?")
    page.keyboard.press("Enter")
    page.wait_for_selector("#chat .citation")
    labels = page.evaluate("() => [...document.querySelectorAll('label, [aria-label]')].length")
    assert labels >= 3
    page.close()


def test_a_new_answer_shows_from_its_start_and_a_citation_copies_as_text(browser, app_url):
    page = _open(browser, app_url, width=1200, height=800)
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    # A long answer after a first one: the chat must show the new answer's key sentence, not the
    # end of its last citation.
    _ask(page, "What is civil-military cooperation?")
    _ask(page, "What are the seven baseline requirements?")
    page.wait_for_timeout(600)
    answer = _last_answer(page)
    key = answer.locator(".key-answer")
    box = page.evaluate(
        """() => {
          const key = [...document.querySelectorAll('#chat .key-answer')].pop();
          let box = key.parentElement;
          while (box && !(box.scrollHeight > box.clientHeight + 4 &&
                 ['auto', 'scroll'].includes(getComputedStyle(box).overflowY))) box = box.parentElement;
          const k = key.getBoundingClientRect(), b = box.getBoundingClientRect();
          return {keyTop: k.top, keyBottom: k.bottom, boxTop: b.top, boxBottom: b.bottom,
                  overflow: box.scrollHeight > box.clientHeight};
        }"""
    )
    assert box["overflow"], "the conversation should be longer than its view for this test"
    assert box["boxTop"] - 1 <= box["keyTop"] and box["keyBottom"] <= box["boxBottom"] + 1, box
    _shot(page, "answer-from-its-start.png")
    assert key.count() == 1
    button = answer.locator("button.copy-cite").first
    button.click()
    page.wait_for_function("() => document.querySelector('button.copy-cite.copied') !== null")
    copied = page.evaluate("() => navigator.clipboard.readText()")
    meta = answer.locator(".citation").first.locator(".meta").inner_text()
    assert "characters" in copied and copied.split("characters ")[1].split(" ")[0] in meta
    title = answer.locator(".citation").first.locator("a[href^='#cite:']").inner_text()
    assert copied.startswith(title.split(" — ")[0])
    _shot(page, "citation-copied.png")


def test_an_admin_uploads_a_pdf_asks_about_it_and_removes_it(browser, tmp_path):
    from .conftest import run_app
    from .test_admin import FUEL, pdf_bytes

    pdf = tmp_path / "Fuel Note.pdf"
    pdf.write_bytes(pdf_bytes(FUEL))
    audit = tmp_path / "audit.jsonl"
    env = {"CIMIC_ADMIN": "root:pw-1"}
    with run_app(tmp_path, "--audit-log", str(audit), env=env) as (url, _):
        page = _open(browser, url)
        page.get_by_role("tab", name="Documents").click()
        page.wait_for_selector("#doc-table")
        assert page.locator("#doc-table tbody tr").count() == 4
        page.fill("#admin-password input", "wrong")
        page.locator("#admin-user textarea, #admin-user input").first.fill("root")
        page.click("#admin-login")
        page.wait_for_function(
            "() => document.querySelector('#admin-note').innerText.includes('Wrong')"
        )
        page.fill("#admin-password input", "pw-1")
        page.click("#admin-login")
        page.wait_for_function(
            "() => document.querySelector('#admin-note').innerText.includes('Logged in as')"
        )
        page.locator("#admin-upload input[type=file]").set_input_files(str(pdf))
        page.wait_for_timeout(1500)
        page.click("#admin-add")
        page.wait_for_function(
            "() => /Rebuild: published/.test(document.querySelector('#rebuild-status').innerText)",
            timeout=240_000,
        )
        page.wait_for_function(
            "() => document.querySelector('#doc-table').innerText.includes('Fuel_Note.pdf')"
        )
        _shot(page, "admin-uploaded.png")

        page.get_by_role("tab", name="Ask").click()
        _ask(page, "Who coordinates fuel deliveries with local suppliers?")
        first = _last_answer(page).locator(".citation").first
        assert "Fuel_Note.pdf" in first.locator(".meta").inner_text()
        _shot(page, "admin-asked.png")

        page.get_by_role("tab", name="Documents").click()
        choice = page.locator("#admin-remove-choice input")
        choice.click()
        choice.fill("Fuel_Note.pdf")
        page.get_by_role("option", name="Fuel_Note.pdf").click()
        page.click("#admin-remove")
        page.wait_for_function(
            "() => document.querySelector('#admin-note, #rebuild-status') && "
            "/Removed|running/.test(document.querySelector('#rebuild-status').innerText)",
            timeout=60_000,
        )
        page.wait_for_function(
            "() => /Rebuild: published/.test(document.querySelector('#rebuild-status').innerText) && "
            "!document.querySelector('#doc-table').innerText.includes('Fuel_Note.pdf')",
            timeout=240_000,
        )
        _shot(page, "admin-removed.png")
        rows = [json.loads(x) for x in audit.read_text(encoding="utf-8").splitlines()]
        assert [r["action"] for r in rows] == ["upload", "rebuild", "remove", "rebuild"]
        assert {r["user"] for r in rows} == {"root"}
