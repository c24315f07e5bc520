"""The web interview room and the quiz page, driven in headless Chromium (Debian's, which
``make test`` installs when missing) by Playwright, against a real server on loopback."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT_FIXTURES, copy_workspace
from live_server import LiveServer
from playwright.sync_api import expect

from sosie import Persona
from sosie.evaluate.protocol import EvalOptions, evaluate
from sosie.serve import ServeSettings, create_app

pytestmark = pytest.mark.slow
def test_ask_watch_it_stream_open_a_citation_and_download_the_transcript(served, page, tmp_path):
    page_dir = tmp_path
    page.goto(served.url + "/")
    expect(page.locator("#persona option")).to_have_count(2)
    expect(page.locator("#disclosure")).to_contain_text("Simulated Rowan Adler")
    expect(page.locator("#disclosure")).to_contain_text("not the real person")

    page.select_option("#engine", "generative")  # the stand-in model streams a piece at a time
    page.evaluate("""() => {
        window.drafts = [];
        new MutationObserver(() => {
            const draft = document.querySelector('.draft');
            if (draft) window.drafts.push(draft.textContent);
        }).observe(document.getElementById('exchanges'),
                   {subtree: true, childList: true, characterData: true});
    }""")
    page.evaluate("document.activeElement.blur()")
    page.keyboard.press("/")  # the keyboard way to the question box (and no stray "/" in it)
    expect(page.locator("#question")).to_be_focused()
    page.keyboard.type("What do you think about trains?")
    expect(page.locator("#question")).to_have_value("What do you think about trains?")
    page.keyboard.press("Enter")

    answer = page.locator("#exchanges .a").last
    expect(answer.locator("button.cite").first).to_be_visible(timeout=30_000)
    drafts = [d for d in page.evaluate("window.drafts") if d]
    assert len(set(drafts)) >= 3, drafts  # the text arrived in pieces, as it was written
    # the stand-in picks five of the person's sentences by number and writes one of its own: the
    # default (strict) mode says only the person's and shows the other struck out
    expect(answer.locator(".repairs li del", has_text="unicycle")).to_have_count(1)
    expect(answer.locator(".support span", has_text="unicycle")).to_have_count(0)
    assert not any("unicycle" in d for d in drafts)  # strict streams only the person's sentences
    shots = Path(os.environ.get("SOSIE_SCREENSHOTS", page_dir))  # set it to keep a look at the page
    page.screenshot(path=str(shots / "room.png"), full_page=True)
    expect(page.locator("#disclosure")).to_be_in_viewport()

    answer.locator("button.cite").first.click()
    dialog = page.locator("#citation")
    expect(dialog).to_be_visible()
    # whichever passage the double cited first: its file and its date
    expect(dialog).to_contain_text(re.compile(r"sosie/demo/rowan/\S+/\d{4}-\d{2}-\d{2}-[\w-]+\.\w+"))
    expect(dialog).to_contain_text(re.compile(r"Date\s*\d{4}-\d{2}-\d{2}"))
    expect(dialog.locator("blockquote")).not_to_be_empty()
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()

    with page.expect_download() as download:
        page.click("#download-md")
    markdown = Path(download.value.path()).read_text(encoding="utf-8")
    assert "What do you think about trains?" in markdown and "not the real person" in markdown
    with page.expect_download() as download:
        page.click("#download-json")
    record = json.loads(Path(download.value.path()).read_text(encoding="utf-8"))
    assert record["engine"] == "generative" and len(record["exchanges"]) == 1

    page.reload()  # the interview is stored, not kept in the page
    expect(page.locator("#exchanges > li")).to_have_count(1)
    page.click("#new")
    expect(page.locator("#exchanges > li")).to_have_count(0)
    page.fill("#question", "Tell me about your library.")
    page.click("#send")
    expect(page.locator("#exchanges .a button.cite").first).to_be_visible(timeout=30_000)
    with page.expect_download() as download:
        page.click("#download-json")
    fresh = json.loads(Path(download.value.path()).read_text(encoding="utf-8"))
    assert fresh["interview"] != record["interview"] and len(fresh["exchanges"]) == 1


def test_the_room_fits_a_phone_and_keeps_the_disclosure_in_view(served, browser):
    context = browser.new_context(viewport={"width": 375, "height": 700}, is_mobile=True)
    page = context.new_page()
    page.goto(served.url + "/?persona=wren")
    expect(page.locator("#disclosure")).to_contain_text("Simulated Wren Halloway")
    page.fill("#question", "What is the salt clock?")
    page.click("#send")
    expect(page.locator("#exchanges .a .who")).to_be_visible(timeout=30_000)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    page.mouse.wheel(0, 3000)
    expect(page.locator("#disclosure")).to_be_in_viewport()
    context.close()


@pytest.fixture(scope="module")
def evaluated(demo_home, tmp_path_factory):
    """An evaluation run of the quote engine, so the quiz has real and simulated answers."""
    with Persona.open("rowan", demo_home) as rowan:
        evaluate(rowan, EvalOptions(engines=["quote"], limit=4, offtopic=2,
                                    report_dir=tmp_path_factory.mktemp("eval")))


def test_the_blind_quiz_page_scores_picks(served, evaluated, page):
    page.goto(served.url + "/quiz?persona=rowan")
    expect(page.locator("#disclosure")).to_contain_text("Simulated Rowan Adler")
    page.click("#start")
    expect(page.locator("#options button")).to_have_count(2)  # the real answer and the quote double's
    page.keyboard.press("1")
    expect(page.locator("#score")).to_contain_text("of 1")
    expect(page.locator("#options .real")).to_have_count(1)
    expect(page.locator("#options")).to_contain_text("the real Rowan Adler")
    page.keyboard.press("Enter")  # focus is on "Next question"
    expect(page.locator("#progress")).to_contain_text("Question 2")
    page.keyboard.press("2")
    expect(page.locator("#score")).to_contain_text("of 2")


def test_the_api_spec_survives_schemathesis_without_a_server_error(served_copy):
    """Fuzzing from the served OpenAPI spec: no request may make the server fail (5xx), every
    status and content type must be documented, and responses must match their schemas."""
    schemathesis = Path(sys.executable).with_name("schemathesis")
    result = subprocess.run(
        [str(schemathesis), "run", served_copy.url + "/openapi.json",
         "--checks", "not_a_server_error,status_code_conformance,content_type_conformance,"
         "response_schema_conformance",
         "--max-examples", "15", "--seed", "1", "--workers", "1"],
        capture_output=True, text=True, timeout=600,
    )
    assert result.returncode == 0, result.stdout[-4000:]
    assert " passed" in result.stdout


@pytest.fixture(scope="module")
def served_copy(demo_home, tmp_path_factory, model_stub):
    """A server over a copy of the demo home: fuzzing writes hundreds of interviews."""
    home = tmp_path_factory.mktemp("fuzz-home")
    for slug in ("rowan", "wren"):
        copy_workspace(demo_home / slug, home / slug)  # never the live sosie.db by plain file I/O
    personas = [Persona.open(slug, home) for slug in ("rowan", "wren")]
    settings = ServeSettings(
        engine_options={"backend": "openai", "model": "stub", "base_url": model_stub.base_url}
    )
    with LiveServer(create_app(personas, settings)) as server:
        yield server


def test_a_citation_of_a_video_source_links_to_its_moment(page, tmp_path):
    """A timestamped transcript whose source is a video page: the citation dialog links to the
    cited second of the video (the URL is never fetched: the test only reads the link)."""
    with Persona.create("ada", "Ada Okafor", home=tmp_path / "home") as persona:
        assert persona.add(ROOT_FIXTURES / "transcripts" / "timestamped.md").ok
        persona.build()
    with LiveServer(create_app([Persona.open("ada", tmp_path / "home")])) as server:
        page.goto(server.url + "/")
        page.fill("#question", "What is the hardest colour to make?")  # a real past question
        page.click("#send")
        answer = page.locator("#exchanges .a").last
        expect(answer.locator("button.cite").first).to_be_visible(timeout=30_000)
        expect(answer.locator("ol.sources")).to_contain_text("00:00:09")
        answer.locator("button.cite").first.click()
        dialog = page.locator("#citation")
        expect(dialog).to_contain_text("00:00:09")
        link = dialog.get_by_role("link")
        expect(link).to_have_attribute("href", "https://www.youtube.com/watch?v=glass123&t=9s")
        expect(link).to_have_attribute("rel", "noopener noreferrer")
