"""Character cards from the real demo persona: V2/V3 validity, real words, PNG chunks, import."""

from __future__ import annotations

import base64
import copy
import json
import re
from pathlib import Path

import pytest
from PIL import Image

from sosie import Persona
from sosie.errors import SosieError
from sosie.export.cards import (
    ELISION,
    card_v2,
    card_v3,
    parse_examples,
    persona_from_card,
    read_card,
    to_v2,
    validate_v2,
    validate_v3,
    write_card,
)


@pytest.fixture(scope="module")
def v2(rowan) -> dict:
    return card_v2(rowan)


@pytest.fixture(scope="module")
def v3(rowan) -> dict:
    return card_v3(rowan, now=1_700_000_000)


def tidy(text: str) -> str:
    return " ".join(text.split())


def subject_text(persona) -> str:
    rows = persona.store.db.execute("SELECT text FROM turns WHERE role = 'subject'")
    return tidy(" ".join(r[0] for r in rows))


def test_cards_of_the_demo_persona_are_valid(v2, v3, rowan):
    assert validate_v2(v2) == []
    assert validate_v3(v3) == []
    data = v3["data"]
    assert v2["spec"] == "chara_card_v2" and v2["spec_version"] == "2.0"
    assert v3["spec"] == "chara_card_v3" and v3["spec_version"] == "3.0"
    assert data["modification_date"] == 1_700_000_000 and data["creation_date"] <= 1_700_000_000
    assert data["group_only_greetings"] and all(isinstance(g, str) for g in data["group_only_greetings"])
    # every corpus file is a source, by file name only (no private folder layout)
    assert sorted(data["source"]) == sorted(row["path"].rsplit("/", 1)[-1] for row in rowan.store.sources())
    for card in (v2, v3):
        d = card["data"]
        disclosure = rowan.config.disclosure
        assert disclosure in d["system_prompt"] and disclosure in d["creator_notes"]
        assert disclosure in d["description"] and "simulation" in d["first_mes"].lower()
        assert "never claim" in d["system_prompt"].lower()
        sosie = d["extensions"]["sosie"]
        assert sosie["simulated"] is True and sosie["consent"] == "none" and sosie["fictional"] is True
        assert {s["sha256"] for s in sosie["sources"]} == {r["sha256"] for r in rowan.store.sources()}
        assert d["creator"] == "Sosie"


@pytest.mark.parametrize(
    "mutate, expected",
    [
        (lambda d: d.pop("first_mes"), "data.first_mes: missing"),
        (lambda d: d.update(tags="simulation"), "data.tags: must be an array of strings"),
        (lambda d: d.update(alternate_greetings=[1]), "data.alternate_greetings"),
        (lambda d: d.update(extensions=[]), "data.extensions: must be an object"),
        (lambda d: d["character_book"]["entries"][0].pop("keys"), "entries[0].keys: missing"),
        (lambda d: d["character_book"]["entries"][0].update(enabled="yes"), "entries[0].enabled"),
        (lambda d: d["character_book"]["entries"][1].update(position="middle"), "entries[1].position"),
        (lambda d: d.update(system_prompt=d["system_prompt"].split("\n\n", 1)[1]),
         "data.system_prompt: must contain the disclosure"),
        (lambda d: d.update(creator_notes="Made with love."),
         "data.creator_notes: must contain the disclosure"),
        (lambda d: d["extensions"].pop("sosie"), "data.extensions.sosie: missing"),
    ],
)
def test_validation_reports_each_problem(v2, v3, mutate, expected):
    for card, validate in ((v2, validate_v2), (v3, validate_v3)):
        broken = copy.deepcopy(card)
        mutate(broken["data"])
        problems = validate(broken)
        assert any(expected in p for p in problems), problems


def test_v3_rules(v3):
    for mutate, expected in [
        (lambda c: c["data"].pop("group_only_greetings"), "data.group_only_greetings: missing"),
        (lambda c: c["data"].update(creation_date="2024-01-01"), "data.creation_date"),
        (lambda c: c["data"].update(source="x.txt"), "data.source"),
        (lambda c: c["data"]["character_book"]["entries"][0].pop("use_regex"), "use_regex: missing"),
        (lambda c: c["data"]["assets"].append({"type": "icon", "uri": "x", "name": "main", "ext": "png"}),
         "exactly one must be named 'main'"),
        (lambda c: c["data"]["assets"][0].update(ext=".PNG"), "ext: must be lowercase"),
        (lambda c: c.update(spec_version="2.0"), "spec_version: must be '3.0'"),
        (lambda c: c.update(spec="chara_card_v2"), "spec: must be 'chara_card_v3'"),
    ]:
        broken = copy.deepcopy(v3)
        mutate(broken)
        problems = validate_v3(broken)
        assert any(expected in p for p in problems), (expected, problems)
    assert validate_v2(v3)  # a V3 card is not a V2 card
    assert validate_v2(to_v2(v3)) == []


def test_examples_are_real_exchanges(v2, rowan):
    pairs = parse_examples(v2["data"]["mes_example"], rowan.config.name)
    assert 2 <= len(pairs) <= 4
    assert v2["data"]["mes_example"].count("<START>") == len(pairs)
    said = subject_text(rowan)
    questions = tidy(" ".join(r["question"] for r in rowan.store.qa_pairs()))
    for question, answer in pairs:
        assert question and question in questions  # the interviewer's real words
        assert answer.removesuffix(ELISION.strip()).strip() in said  # the person's real words
        assert len(answer.split()) <= 100


def test_lorebook_entries_quote_real_sentences_with_their_source(v2, rowan):
    entries = v2["data"]["character_book"]["entries"]
    assert len(entries) >= 5
    said = subject_text(rowan)
    files = {row["path"].rsplit("/", 1)[-1] for row in rowan.store.sources()}
    for entry in entries:
        quote, source = re.fullmatch(r'.*?: "(.*)" \((.*?)(?:, [\d-]+)?\)', entry["content"]).groups()
        assert quote in said and source in files
        assert any(k.lower() in quote.lower() for k in entry["keys"])
    assert any("librar" in k for e in entries for k in e["keys"])  # the demo's subject


def test_png_round_trip_v3_has_both_chunks(v3, tmp_path):
    path = write_card(v3, tmp_path / "rowan.png")
    with Image.open(path) as image:
        chunks = image.text
        assert image.size == (512, 768)
    assert json.loads(base64.b64decode(chunks["ccv3"]).decode("utf-8")) == v3
    backfill = json.loads(base64.b64decode(chunks["chara"]).decode("utf-8"))
    assert backfill["spec"] == "chara_card_v2" and validate_v2(backfill) == []
    assert "group_only_greetings" not in backfill["data"]
    assert read_card(path) == v3  # ccv3 preferred over chara
    assert not list(tmp_path.glob(".*.tmp"))


def test_png_and_json_round_trip_v2(v2, tmp_path):
    path = write_card(v2, tmp_path / "rowan-v2.png")
    with Image.open(path) as image:
        assert set(image.text) == {"chara"}
        assert json.loads(base64.b64decode(image.text["chara"])) == v2
    assert read_card(path) == v2
    assert read_card(write_card(v2, tmp_path / "rowan.json")) == v2


def test_invalid_cards_are_refused(v2, tmp_path):
    broken = copy.deepcopy(v2)
    broken["data"]["system_prompt"] = "You are Rowan Adler."
    with pytest.raises(SosieError, match="refusing to write an invalid card.*disclosure"):
        write_card(broken, tmp_path / "bad.png")
    assert not (tmp_path / "bad.png").exists()
    with pytest.raises(SosieError, match=r"\.json or \.png"):
        write_card(v2, tmp_path / "card.txt")


def test_read_card_errors_are_one_clear_line(tmp_path):
    plain = tmp_path / "plain.png"
    Image.new("RGB", (8, 8)).save(plain)
    with pytest.raises(SosieError, match="holds no character card"):
        read_card(plain)
    from PIL import PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_text("chara", "not base64 !!")
    Image.new("RGB", (8, 8)).save(tmp_path / "garbled.png", pnginfo=info)
    with pytest.raises(SosieError, match="not base64-encoded JSON"):
        read_card(tmp_path / "garbled.png")
    (tmp_path / "other.json").write_text(json.dumps({"spec": "something_else", "data": {}}))
    with pytest.raises(SosieError, match="unknown card spec 'something_else'"):
        read_card(tmp_path / "other.json")
    (tmp_path / "broken.json").write_text("{")
    with pytest.raises(SosieError, match="neither a PNG nor valid JSON"):
        read_card(tmp_path / "broken.json")
    with pytest.raises(SosieError) as missing:
        read_card(tmp_path / "nope.png")
    assert "\n" not in str(missing.value)


def test_persona_from_card_answers_with_the_real_words(v3, home, tmp_path):
    card = read_card(write_card(v3, tmp_path / "rowan.png"))
    persona = persona_from_card(card, home=home)
    try:
        assert persona.slug == "rowan-adler"
        assert persona.config.name == "Rowan Adler"
        assert persona.config.disclosure == v3["data"]["extensions"]["sosie"]["disclosure"]
        assert persona.config.consent == "none" and persona.config.fictional
        note = persona.config.provenance_note
        assert "character card" in note and "by Sosie" in note and "Bundled with the sosie package" in note
        question, answer = parse_examples(card["data"]["mes_example"], "Rowan Adler")[1]
        reply = Persona.open(persona.slug, home).ask(question, engine="quote")
        assert not reply.abstained and reply.citations
        assert reply.citations[0].source.endswith("from-card/card-examples.txt")
        # the top passage is that real answer: every sentence the engine quotes from it is in it
        quoted = [s["sentence"] for s in reply.support if s["citations"] == [1]]
        assert quoted and all(s in answer for s in quoted)
        assert reply.disclosure == persona.config.disclosure
    finally:
        persona.close()
    with pytest.raises(SosieError, match="already exists"):
        persona_from_card(card, home=home)


def test_persona_from_a_card_without_examples(home):
    card = {"spec": "chara_card_v2", "spec_version": "2.0",
            "data": {"name": "Ünä Example!", "description": "Someone.", "mes_example": "", "creator": "X"}}
    persona = persona_from_card(card, home=home)
    try:
        assert persona.slug == "n-example"
        assert persona.config.disclosure.startswith("Simulated Ünä Example!")
        assert persona.config.consent == "none"
        assert persona.store.stats()["sources"] == 0
    finally:
        persona.close()


def test_examples_parse_other_apps_forms():
    text = ("<START>\n{{user}}: Hi there?\n{{char}}: Hello {{user}}.\nSecond line.\n"
            "<start>\n<USER>: And you?\n<BOT>: I am {{char}}.\n<START>\n{{char}}: Alone.")
    assert parse_examples(text, "Ada") == [("Hi there?", "Hello you. Second line."),
                                           ("And you?", "I am Ada."), (None, "Alone.")]


def test_the_corpus_reader_gives_the_examples_as_turns(v2, tmp_path):
    """Card import is ingestion: the reader turns a card file into text with speaker turns."""
    from sosie.corpus.cards import read_card_source
    from sosie.errors import BadSource

    path = write_card(v2, tmp_path / "rowan.png")
    found = read_card_source(path, path.read_bytes())
    pairs = parse_examples(v2["data"]["mes_example"], "Rowan Adler")
    expected = [t for q, a in pairs for t in ([("INTERVIEWER", q)] if q else []) + [(None, a)]]
    assert [(who, found.text[start:end]) for who, start, end, _ in found.turns] == expected
    assert found.meta["source"] == "character card (chara_card_v2) by Sosie"
    bare = {"spec": "chara_card_v2", "data": {"name": "X", "mes_example": ""}}
    with pytest.raises(BadSource, match="no example dialogue"):
        read_card_source(tmp_path / "x.json", json.dumps(bare).encode())


def test_sosie_add_reads_a_card_named_directly_but_not_a_folders_pictures(v2, v3, tmp_path):
    folder = tmp_path / "cards"
    folder.mkdir()
    png = write_card(v3, folder / "rowan.png")
    (folder / "rowan.json").write_text(json.dumps(v2), encoding="utf-8")
    with Persona.create("cards", "Rowan Adler", home=tmp_path / "home") as persona:
        report = persona.add(folder)  # from a folder: the card JSON yes, a PNG no
        assert [Path(p).name for p in report.added] == ["rowan.json"] and report.qa_pairs >= 3
        direct = persona.add(png)  # named directly: its example dialogue
        assert direct.added and direct.ok
        rows = persona.store.db.execute("SELECT convention, kind FROM sources").fetchall()
        assert {tuple(r) for r in rows} == {("character card", "transcript")}
