"""The person over time (issue 15): as-of answers, recency, the timeline, "how has your view
changed?", on a corpus written for it (tests/fixtures/over-time): an architect's stance on
working from home moves from "a mistake" (2015) through "a little" (2019) to "the best
decision" (2023), beside one undated note."""

from __future__ import annotations

import json

import pytest
from conftest import ROOT_FIXTURES, run_cli
from conftest import run_in_process as sosie
from live_server import local_client

from sosie import Persona
from sosie.corpus.dates import BadDate, as_of_date
from sosie.engines.grounding import Sentence, keep_to_time
from sosie.engines.timeline import timeline

CORPUS = ROOT_FIXTURES / "over-time"
QUESTION = "What do you think about working from home?"


@pytest.fixture(scope="module")
def ines(tmp_path_factory):
    home = tmp_path_factory.mktemp("time-home")
    persona = Persona.create("ines", "Ines Ferrand", ["Ines"], home=home)
    assert persona.add(CORPUS).ok
    persona.build()
    yield persona
    persona.close()


def dates(answer) -> list[str]:
    return [c.date for c in answer.citations]


def test_the_timeline_follows_the_topic_oldest_first_and_marks_the_change(ines, tmp_path):
    found = timeline(ines, "working from home")
    assert [s.date for s in found.statements] == ["2015-03-10", "2019-06-02", "2023-11-20"]
    assert found.by_year == {"2015": 1, "2019": 1, "2023": 1}
    assert found.changes and all(c["method"] == "embedding" for c in found.changes)
    assert found.changes[0]["after"] == 0  # the first step away from "a mistake" is marked
    png = tmp_path / "timeline.png"
    done = sosie("timeline", "ines", "working from home", "--json", "--plot", str(png),
                   home=ines.workspace.parent)
    assert done.returncode == 0, done.stderr
    shown = json.loads(done.stdout)
    assert shown["by_year"] == found.by_year and shown["changes"] == found.changes
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    nothing = sosie("timeline", "ines", "volcanoes of Iceland", "--plot", str(tmp_path / "none.png"),
                    home=ines.workspace.parent)
    assert nothing.exit_code == 1 and nothing.stderr.count("\n") == 1 and "nothing dated" in nothing.stderr
    assert not (tmp_path / "none.png").exists()
    table = sosie("timeline", "ines", "working from home", home=ines.workspace.parent)
    assert "changed here" in table.stdout and table.stdout.index("2015") < table.stdout.index("2023")


def test_as_of_answers_with_the_old_stance_and_never_cites_later(ines):
    old = ines.ask(QUESTION, engine="quote", as_of="2016")
    assert old.citations and all(d <= "2016-12-31" for d in dates(old))
    assert "mistake" in old.text and "best decision" not in old.text
    assert old.as_of == {"as_of": "2016-12-31", "sources": 1, "undated_sources": 1, "later_sources": 2,
                         "first_date": "2015-03-10"}
    middle = ines.ask("Has your view of working from home moved at all?", engine="quote", as_of="2020-01")
    assert all(d <= "2020-01-31" for d in dates(middle)) and "2019-06-02" in dates(middle)


def test_by_default_the_newest_word_on_a_point_comes_first(ines):
    now = ines.ask(QUESTION, engine="quote")
    assert "2023-11-20" in dates(now)


def test_how_has_your_view_changed_is_answered_from_the_timeline_in_their_words(ines):
    answer = ines.ask("How has your view on working from home changed?", engine="quote")
    assert dates(answer) == sorted(dates(answer)) and dates(answer)[0] == "2015-03-10"
    assert dates(answer)[-1] == "2023-11-20"
    assert all(s["tag"] == "verbatim" for s in answer.support)
    forced = ines.ask("working from home", engine="quote", timeline=True)
    assert dates(forced)[0] == "2015-03-10" and dates(forced)[-1] == "2023-11-20"


def test_a_date_before_the_record_abstains_with_the_reason(ines):
    answer = ines.ask(QUESTION, engine="quote", as_of="2001")
    assert answer.abstained and "first dated source is from 2015-03-10" in answer.text


def test_an_unreadable_as_of_says_which_formats_are_accepted(ines):
    with pytest.raises(BadDate, match="YYYY-MM-DD"):
        as_of_date("the day after tomorrow-ish")
    assert as_of_date("March 2019") == "2019-03-31" and as_of_date("2016-02") == "2016-02-29"
    done = run_cli("ask", "ines", QUESTION, "--as-of", "31/31/2016", home=ines.workspace.parent)
    assert done.returncode == 1 and done.stderr.count("\n") == 1
    assert "YYYY, YYYY-MM or YYYY-MM-DD" in done.stderr


def test_the_cli_shows_what_an_as_of_answer_left_out_and_transcripts_keep_it(ines):
    done = sosie("ask", "ines", QUESTION, "--as-of", "2016", home=ines.workspace.parent)
    assert done.returncode == 0, done.stderr
    note = "As of 2016-12-31: from the 1 source dated up to then; 2 later sources left out, 1 undated"
    assert note in done.stdout
    assert "2015-03-10" in done.stdout and "2023-11-20" not in done.stdout
    markdown = sosie("transcript", "ines", home=ines.workspace.parent).stdout
    assert "as of 2016-12-31" in markdown and "_As of 2016-12-31" in markdown


def test_an_as_of_interview_goes_on_as_of_the_same_date(ines):
    from sosie.interview import InterviewSession

    session = ines.interview("quote", as_of="2016")
    session.ask(QUESTION)
    again = InterviewSession.resume(ines, session.id)
    assert again.engine.as_of == "2016-12-31"
    assert all(d <= "2016-12-31" for d in dates(again.ask("And offices?")))


def test_the_generative_check_drops_a_sentence_that_cites_a_later_passage(ines):
    rows = ines.store.passages([r["id"] for r in ines.store.all_passages()])
    later = next(r for r in rows.values() if r.date == "2023-11-20")
    early = next(r for r in rows.values() if r.date == "2015-03-10")
    kept, repairs = keep_to_time(
        [Sentence("Working from home is a mistake.", "verbatim", [1], 1.0),
         Sentence("My studio is fully remote.", "verbatim", [2], 1.0),
         Sentence("As I said in 2011, offices matter.", "supported", [1], 0.8)], [early, later], "2016-12-31")
    assert [s.text for s in kept] == ["Working from home is a mistake."]
    assert "as-of violation" in repairs[0]["why"] and "2011" in repairs[1]["why"]


def test_the_generative_engine_answers_as_of_a_date_with_the_stub_model(ines, model_stub):
    answer = ines.ask(QUESTION, engine="generative", backend="openai", model="stub",
                      base_url=model_stub.base_url, as_of="2016")
    assert answer.as_of["as_of"] == "2016-12-31"
    assert all(d <= "2016-12-31" for d in dates(answer))


def test_the_api_honours_as_of_in_sessions_and_chat_completions(ines):
    from sosie.serve import ServeSettings, create_app

    served = Persona.open("ines", ines.workspace.parent)
    try:
        with local_client(create_app([served], ServeSettings())) as http:
            spec = http.get("/openapi.json").json()["components"]["schemas"]
            for schema in ("NewSession", "ChatRequest"):
                assert "as_of" in spec[schema]["properties"], schema
            created = http.post("/api/personas/ines/sessions", json={"engine": "quote", "as_of": "2016"})
            assert created.status_code == 201 and created.json()["as_of"] == "2016-12-31"
            asked = http.post(f"/api/personas/ines/sessions/{created.json()['id']}/ask",
                              json={"question": QUESTION}).json()["answer"]
            assert asked["as_of"]["as_of"] == "2016-12-31"
            assert all(c["date"] <= "2016-12-31" for c in asked["citations"])
            chat = http.post("/v1/chat/completions", json={
                "model": "sosie/ines:quote", "messages": [{"role": "user", "content": QUESTION}],
                "as_of": "2016"}).json()
            assert chat["sosie"]["as_of"]["as_of"] == "2016-12-31"
            assert "As of 2016-12-31" in chat["choices"][0]["message"]["content"]
            assert all(c["date"] <= "2016-12-31" for c in chat["sosie"]["citations"])
            bad = http.post("/api/personas/ines/sessions", json={"engine": "quote", "as_of": "soon"})
            assert bad.status_code == 400 and "YYYY-MM-DD" in bad.json()["error"]["message"]
    finally:
        served.close()


def test_corpus_warns_when_most_of_it_is_undated(tmp_path):
    home = tmp_path / "home"
    with Persona.create("undated", "Ines Ferrand", home=home) as persona:
        (tmp_path / "a.md").write_text("Light is the first material of every room I have drawn, and "
                                       "the cheapest one too.\n")
        assert persona.add(tmp_path / "a.md").ok
    done = sosie("corpus", "undated", home=home)
    assert "100% of the subject's words are undated" in done.stderr and "date:" in done.stderr


@pytest.mark.slow
def test_the_web_room_asks_as_of_a_date(ines, page):
    from live_server import LiveServer
    from playwright.sync_api import expect

    from sosie.serve import ServeSettings, create_app

    served = Persona.open("ines", ines.workspace.parent)
    try:
        with LiveServer(create_app([served], ServeSettings())) as server:
            page.goto(server.url + "/")
            page.select_option("#engine", "quote")
            page.fill("#as-of", "2016")
            page.locator("#as-of").dispatch_event("change")
            page.fill("#question", QUESTION)
            page.keyboard.press("Enter")
            answer = page.locator("#exchanges .a").last
            expect(answer.locator(".as-of")).to_contain_text("As of 2016-12-31", timeout=30_000)
            expect(answer.locator(".sources")).to_contain_text("2015-03-10")
            expect(answer.locator(".sources")).not_to_contain_text("2023")
    finally:
        served.close()


def test_eval_as_of_scores_a_double_of_the_past_on_what_the_person_said_later(ines, tmp_path):
    from sosie.evaluate.protocol import EvalOptions, evaluate

    metrics = evaluate(ines, EvalOptions(engines=["quote"], as_of="2016", offtopic=2,
                                         report_dir=tmp_path / "report"))
    assert metrics["split"].startswith("by time") and metrics["as_of"] == "2016-12-31"
    assert metrics["questions"] == 2  # the 2019 podcast's answers
    rows = [json.loads(line) for line in (tmp_path / "report" / "answers.jsonl").read_text().splitlines()]
    scored = [r for r in rows if "real" in r]
    assert {r["source"].rsplit("/", 1)[-1] for r in scored} == {"2019-06-02-studio-podcast.txt"}
    for row in scored:  # the double of 2016 never quotes what came later
        cited = row["engines"]["quote"]["answer"]["citations"]
        assert all(c["date"] <= "2016-12-31" for c in cited)
    done = sosie("eval", "ines", "--engines", "quote", "--as-of", "2001", home=ines.workspace.parent)
    assert done.returncode == 1
    assert "nothing in Ines Ferrand's record is dated up to 2001-12-31" in done.stderr


def test_a_language_model_can_judge_the_changes_and_they_are_tagged_as_its(ines):
    """The judge is a real HTTP server speaking the OpenAI protocol; its replies are ours."""
    from openai_stub import StubServer

    def judge(messages: list[dict]) -> str:
        said = messages[-1]["content"]
        return "CHANGED" if "mistake" in said and "A little" in said else "SAME"

    with StubServer(reply=judge) as server:
        done = sosie("timeline", "ines", "working from home", "--json", "--judge", "openai",
                       "--judge-model", "stub", "--judge-base-url", server.base_url,
                       home=ines.workspace.parent)
        asked = len(server.requests)
    assert done.returncode == 0, done.stderr
    changes = json.loads(done.stdout)["changes"]
    assert [(c["after"], c["before"]) for c in changes] == [(0, 1)]  # 2015 -> 2019 only
    assert changes[0]["method"] == "judge (openai:stub)" and changes[0]["distance"] > 0
    assert asked == 2  # each consecutive pair of dates once
