"""The real people of the persona-fidelity benchmark (tests/real/people.py): their records are there,
unchanged, in date order, split, and hold enough gold exchanges to judge a double by.

Fast: no embedding model, no Sosie reader; only the sets' own gold parsers (pypdf for the PDFs).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent / "real"))
import people  # noqa: E402
import records  # noqa: E402

ROOT = records.records_root()
pytestmark = pytest.mark.skipif(
    ROOT is None, reason="no real records here: put them in ../shared/real-records or $SOSIE_REAL_RECORDS")
PEOPLE = people.people() if ROOT is not None else []
KEYS = [p.key for p in PEOPLE]


def test_four_people_of_different_kinds():
    assert KEYS == ["psaki", "powell", "bernanke", "chapman"]
    assert len({p.kind for p in PEOPLE}) == len(PEOPLE)
    for person in PEOPLE:
        assert person.name and person.aliases and person.name not in person.aliases


@pytest.mark.parametrize("person", PEOPLE, ids=KEYS)
def test_every_source_is_there_pinned_and_in_date_order(person):
    pinned = records.manifest()
    for source in person.sources:
        assert source.path.is_absolute() and source.path.is_file(), source.path
        name = source.path.relative_to(ROOT).as_posix()
        assert pinned.get(name) == records.sha256(source.path), f"{name} is not the pinned bytes"
        assert (source.path.parent / "SOURCES.md").is_file()
        assert source.path.name in (source.path.parent / "SOURCES.md").read_text(encoding="utf-8")
        assert len(source.date) == 10 and source.date[4] == source.date[7] == "-"
        assert records.gold_module(source.gold).SET["subject"] == person.name
    dates = [s.date for s in person.sources]
    assert dates == sorted(dates)
    assert len({s.path.name for s in person.sources}) == len(person.sources)
    if person.split == "within":
        assert len(person.sources) == 1
    else:
        assert len(person.sources) >= 2
        assert person.build_sources() and 2 <= len(person.held_out_sources()) <= 4
        assert all(s.date > person.split for s in person.held_out_sources())
        # a file name carries its date: the record, not this module, says when it was said
        assert all(s.date.replace("-", "") in s.path.name.replace("-", "") for s in person.sources)


def test_every_new_file_is_one_persons_and_pinned():
    used = {s.path for p in PEOPLE for s in p.sources}
    for path in (ROOT / "people").rglob("*"):
        if path.is_file() and path.name != "SOURCES.md":
            assert path in used, f"{path} belongs to nobody"
            assert records.manifest().get(path.relative_to(ROOT).as_posix()), path


def test_enough_held_out_exchanges_and_each_is_a_real_one():
    counted = 0.0
    for person in PEOPLE:
        held = people.gold_exchanges(person)
        every = people.gold_exchanges(person, held_out_only=False)
        mine, others = people.gold_words(person)
        build, _ = people.gold_words(person, build_only=True)
        first, last = person.sources[0].date, person.sources[-1].date
        print(f"{person.key:9} {len(person.sources):2} sources {first}..{last} split {person.split}:"
              f" {len(held)} held-out of {len(every)} exchanges, {sum(build.values())} build-side"
              f" words of {sum(mine.values())} ({sum(others.values())} others')")
        assert held and len(held) < len(every)
        for ex in held:
            assert ex.question.strip() and ex.answer.strip()
            assert ex.asker != person.name
            assert len(records.tokens(ex.answer)) >= people.MIN_ANSWER_WORDS
        if person.split == "within":
            assert abs(len(held) - len(every) / 3) <= 0.05 * len(every)
        else:
            assert len(held) >= 30, (person.key, len(held))
            assert {ex.date for ex in held} == {s.date for s in person.held_out_sources()}
        assert sum(build.values()) >= 50_000, person.key  # enough of their words to build from
        assert sum(mine.values()) > sum(build.values())
        counted += len(held)
    assert counted >= 150


@pytest.mark.parametrize("person", PEOPLE, ids=KEYS)
def test_the_gold_says_who_is_who(person):
    """The subject speaks in every source; the labels read as others never name the subject."""
    for source in person.sources:
        turns = people.turns_of(person, source)
        speakers = {who for who, _ in turns}
        assert person.name in speakers and len(speakers) >= 2, source.path.name
        surname = person.name.split()[-1].strip(",.").lower()
        if surname == "jr":
            surname = person.name.split()[-2].strip(",.").lower()
        assert not any(surname in who.lower() for who in speakers - {person.name}), speakers
