"""Whose words, on real public records as their publishers put them out (tests/real/).

Every file of every set is ingested into a real SQLite store with only what a user gives (the
subject's name and aliases) and compared with the set's own gold parser. The records are fetched
public data kept outside this repository (see tests/real/records.py); where a machine has none,
these tests skip and say so, and their bytes are pinned by tests/real/MANIFEST.sha256.
"""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

import pytest

from sosie.corpus.ingest import ingest
from sosie.corpus.names import Subject
from sosie.corpus.speakers import READER
from sosie.corpus.store import Store
from sosie.errors import BadSource

sys.path.insert(0, str(Path(__file__).resolve().parent / "real"))
import records  # noqa: E402

ROOT = records.records_root()
pytestmark = pytest.mark.skipif(
    ROOT is None, reason="no real records here: put them in ../shared/real-records or $SOSIE_REAL_RECORDS")
PRECISION, RECALL = 0.995, 0.98


def test_every_real_file_is_the_published_bytes():
    pinned = records.manifest()
    assert len(pinned) >= 30
    for name, digest in pinned.items():
        assert records.sha256(ROOT / name) == digest, f"{name} differs from the bytes its SOURCES.md names"


@pytest.mark.parametrize("name", records.set_names())
def test_the_subject_gets_their_words_and_only_theirs(name, tmp_path):
    if not (ROOT / name).is_dir():
        pytest.skip(f"set {name} is not on this machine")
    scores = records.score_set(name, ROOT, tmp_path)
    gold = records.gold_module(name)
    for score, filename in zip(scores, gold.SET["files"], strict=True):
        turns = gold.gold(ROOT / name / filename)
        # the invariant: a file where two or more people speak is never read as a monologue
        if len({who for who, _ in turns}) >= 2:
            assert score.kind != "monologue", f"{filename} read as a monologue"
        if filename in gold.SET.get("subject_unlabelled", ()):  # nobody said which label is theirs
            assert score.stored_words == 0 and score.failed, f"{filename}: words stored as theirs unasked"
        assert score.precision >= 0.98, (filename, score.precision, score.wrong)  # the target is per set
    together = records.total(scores)
    assert together.precision >= PRECISION, together.precision
    assert together.recall >= RECALL, together.recall
    if together.pairs_true:
        assert together.pairs_correct >= 0.8 * together.pairs_true, (together.pairs_correct,
                                                                     together.pairs_true)


def _subject(gold) -> Subject:
    return Subject(gold.SET["subject"], tuple(gold.SET.get("aliases", ())))


def _said_by(gold, path: Path, subject: bool) -> list[Counter]:
    """Each gold turn's words, of the subject's turns or of everybody else's."""
    name = gold.SET["subject"]
    return [Counter(records.tokens(text)) for who, text in gold.gold(path) if (who == name) == subject]


def test_a_dry_run_says_how_sure_it_is_and_shows_each_speakers_own_lines(tmp_path):
    gold = records.gold_module("briefings")
    briefing = ROOT / "briefings" / "psaki-2021-12-09-briefing-deese.md"
    report = ingest(Store(tmp_path / "sosie.db"), [briefing], _subject(gold), dry_run=True)
    (preview,) = report.previews
    assert preview["confidence"] >= 0.9, preview["evidence"]
    assert "labels of 4 speakers" in preview["evidence"]
    assert {row["role"] for row in preview["speakers"].values()} == {"subject", "other"}
    for label, row in preview["speakers"].items():
        assert 1 <= len(row["samples"]) <= min(2, row["turns"]), label
        for sample in row["samples"]:  # each sample line is in one real turn of the right side
            words = Counter(records.tokens(sample.removesuffix(" …")))
            assert any(not words - turn for turn in _said_by(gold, briefing, row["role"] == "subject")), (
                label, sample)


def test_a_stated_label_pattern_reads_a_one_line_scrape_as_its_publisher_meant(tmp_path):
    gold = records.gold_module("scraped")
    scores = records.score_set("scraped", ROOT, tmp_path,
                               {"labels": r"<NAME>\s*(?P<name>[^<]+?)\s*</NAME>(?:-[A-Z]+)?[.:]?\s*"})
    together = records.total(scores)
    assert [s.convention for s in scores] == ["your --label-pattern"] * len(gold.SET["files"])
    assert together.precision >= PRECISION and together.recall >= RECALL, (together.precision,
                                                                           together.recall)
    with pytest.raises(BadSource, match="not a regular expression") as refused:
        ingest(Store(tmp_path / "bad.db"), [ROOT / "scraped" / gold.SET["files"][0]], _subject(gold),
               labels="<NAME>(unclosed")
    assert "\n" not in str(refused.value)


def test_a_file_an_older_reader_stored_is_read_again_and_replaced_only_if_it_now_differs(tmp_path):
    """A workspace built before the reader learned the White House's layout: its briefing was
    stored as one long turn of hers, reporters' questions included. Adding it again replaces it."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
    from speakers import reader  # the frozen pre-issue-12 reader, as an old workspace has it

    gold = records.gold_module("briefings")
    briefing = ROOT / "briefings" / "psaki-2021-02-08-briefing.md"
    hearing = ROOT / "congress" / "bernanke-2009-07-21-house.htm"
    store = Store(tmp_path / "sosie.db")
    with reader("baseline"):
        assert ingest(store, [briefing], _subject(gold)).added
    with store.transaction() as db:  # what an old version wrote: no reader, no confidence
        db.execute("UPDATE sources SET reader = NULL, confidence = NULL, evidence = NULL")
    before = store.stats()["passages"]
    again = ingest(store, [briefing], _subject(gold))
    assert [path for path, _ in again.reread] == [str(briefing.resolve())]
    assert "was baseline" in again.reread[0][1] and "now " in again.reread[0][1]
    assert again.replaced == [str(briefing.resolve())] and "read differently now" in again.summary()
    assert store.stats()["passages"] != before
    row = store.source_by_path(str(briefing.resolve()))
    assert row["reader"] == READER and row["confidence"] >= 0.9
    stored = Counter(records.tokens(" ".join(r[0] for r in store.db.execute("SELECT text FROM passages"))))
    theirs = sum(_said_by(gold, briefing, True), Counter())
    assert sum((stored & theirs).values()) / sum(stored.values()) >= PRECISION
    # a file the new reader reads exactly as stored keeps its rows; only its stamp changes
    bernanke = records.gold_module("congress")
    assert ingest(store, [hearing], _subject(bernanke)).added
    ids = store.db.execute("SELECT id FROM passages ORDER BY id").fetchall()
    with store.transaction() as db:
        db.execute("UPDATE sources SET reader = NULL WHERE path = ?", (str(hearing.resolve()),))
    third = ingest(store, [hearing, briefing], _subject(bernanke))
    assert not third.reread and len(third.unchanged) == 2
    assert store.db.execute("SELECT id FROM passages ORDER BY id").fetchall() == ids
    assert store.source_by_path(str(hearing.resolve()))["reader"] == READER


@pytest.mark.parametrize("name, filename", [
    ("briefings", "psaki-2022-01-11-gaggle.md"), ("congress", "bernanke-2008-07-15-senate.htm"),
    ("podcast", "bookbytes-010.txt"), ("court", "hhs-v-florida-2012-03-27.txt")])
def test_a_record_whose_lines_were_run_together_is_still_a_transcript(name, filename, tmp_path):
    """What a scraper does to a page (the scraped set is one line per file): the same real record
    with every newline gone. Labels are then found inline, after a sentence or a broken-off one;
    it is never a monologue, and few of the words stored as the subject's are anybody else's."""
    import re

    gold = records.gold_module(name)
    joined = tmp_path / filename
    joined.write_bytes(re.sub(rb"\s*\n\s*", b" ", (ROOT / name / filename).read_bytes()))
    store = Store(tmp_path / "sosie.db")
    assert ingest(store, [joined], _subject(gold)).added
    assert store.db.execute("SELECT kind FROM sources").fetchone()[0] == "transcript"
    stored = Counter(records.tokens(" ".join(r[0] for r in store.db.execute("SELECT text FROM passages"))))
    theirs = sum(_said_by(gold, ROOT / name / filename, True), Counter())
    precision = sum((stored & theirs).values()) / sum(stored.values())
    # a court transcript run together keeps its margin numbers and page footers inside the turns
    assert precision >= (0.8 if name == "court" else 0.97), precision
