"""Real people, each with many real public records of their own words, for persona-fidelity checks.

A "double" is built from what a person said up to a date and asked what they were asked after it:
each person here has their records in date order and a split. Four kinds of speaker:

- Jen Psaki, White House press secretary: 27 briefings she led (2021-01-20 .. 2022-05-12), the
  six of ``briefings/`` and 21 more from the same scrape (``people/psaki/``); the last four held out.
- Jerome H. Powell, Fed chair: 27 FOMC press conferences (2019-07-31 .. 2025-10-29): the Board's
  PDFs of ``fomc/``, the one-line scrapes of ``scraped/`` and 16 more members of the same archive
  (``people/powell/``); the last three held out.
- Ben S. Bernanke, Fed chairman: 12 semiannual monetary-policy hearings (GPO text editions,
  2006-02-15 .. 2010-07-21), the three of ``congress/`` and nine more (``people/bernanke/``);
  the last three held out.
- Leonard F. Chapman, Jr., a retired Commandant: one 600-page oral history (``oral_history/``),
  split within the source: its first two thirds of turns build, the last third is held out.

Every file is public, unchanged and pinned in ``MANIFEST.sha256``; each folder's ``SOURCES.md``
says where it comes from. Who said what comes from the sets' own gold parsers
(``gold_SET.py``, independent of Sosie's reader). Two of them (``scraped``, ``congress``) refuse a
speaker label their map lacks; these files name more reporters and members than the original
few, so such a label is read as another speaker, named by the label itself, unless it names the
subject (an error, but for the labels listed in ``_EXTRA``). The parsers' files are not changed.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import records

WITHIN_HELD_OUT = 1 / 3  # the share of a one-source person's turns held out (the last ones)
MIN_ANSWER_WORDS = 8


@dataclass(frozen=True)
class Source:
    path: Path  # absolute
    date: str  # YYYY-MM-DD, when it was said (the first session's, for an oral history)
    gold: str  # the gold parser's set name: gold_<gold>.py


@dataclass(frozen=True)
class RealPerson:
    key: str  # "psaki", "powell", "bernanke", "chapman"
    name: str  # full name as a user would give it (the gold parsers' subject)
    aliases: tuple[str, ...]  # what a user would type for --speaker
    kind: str
    sources: tuple[Source, ...]  # sorted by date
    split: str  # "YYYY-MM-DD": build on sources dated <= split, hold out the rest; or "within"

    def build_sources(self) -> tuple[Source, ...]:
        return self.sources if self.split == "within" else tuple(
            s for s in self.sources if s.date <= self.split)

    def held_out_sources(self) -> tuple[Source, ...]:
        return self.sources if self.split == "within" else tuple(
            s for s in self.sources if s.date > self.split)


@dataclass(frozen=True)
class Exchange:
    source: Path
    date: str
    asker: str  # the gold's name for whoever spoke just before
    question: str  # that turn's text (it need not hold a "?")
    answer: str  # the subject's turn right after it


def _dates(spec: str) -> list[str]:
    return spec.split()


_PSAKI_NEW = _dates("""2021-01-20 2021-01-29 2021-03-05 2021-03-22 2021-04-14 2021-05-13 2021-06-02
    2021-06-23 2021-07-12 2021-08-10 2021-08-31 2021-09-22 2021-10-13 2021-11-15 2022-02-15 2022-03-14
    2022-04-20 2022-05-02 2022-05-05 2022-05-10 2022-05-12""")
_PSAKI_OLD = ["psaki-2021-02-08-briefing.md", "psaki-2021-02-23-briefing.md",
              "psaki-2021-12-02-briefing.md", "psaki-2021-12-09-briefing-deese.md",
              "psaki-2022-01-11-gaggle.md", "psaki-2022-04-07-briefing.md"]
_POWELL_PDF = _dates("20190731 20200315 20220615 20240612 20250319")
_POWELL_SCRAPED = _dates("20210616 20211103 20230503 20230726 20231101 20240320")
_POWELL_NEW = _dates("""20200916 20201216 20210317 20210728 20211215 20220316 20221102 20230201
    20230920 20231213 20240731 20241218 20250507 20250618 20250730 20251029""")
_BERNANKE_OLD = ["bernanke-2008-02-27-house.htm", "bernanke-2008-07-15-senate.htm",
                 "bernanke-2009-07-21-house.htm"]
_BERNANKE_NEW = ["bernanke-2006-02-15-house.htm", "bernanke-2006-07-19-senate.htm",
                 "bernanke-2007-02-14-senate.htm", "bernanke-2007-07-18-house.htm",
                 "bernanke-2009-02-24-senate.htm", "bernanke-2009-07-22-senate.htm",
                 "bernanke-2010-02-24-house.htm", "bernanke-2010-02-25-senate.htm",
                 "bernanke-2010-07-21-senate.htm"]

# labels the gold map lacks that are the subject's: 2006-07 Senate records label him so
_EXTRA = {"congress": {"Chairman Bernanke": "Ben S. Bernanke"}}
_DATE = re.compile(r"(\d{4})-?(\d{2})-?(\d{2})")


def root() -> Path:
    """The records folder (``$SOSIE_REAL_RECORDS`` or tests/data/real), as records.py finds it."""
    return records.records_root() or records.REPO / "tests" / "data" / "real"


def _source(rel: str, gold: str, date: str | None = None) -> Source:
    if date is None:
        y, m, d = _DATE.search(Path(rel).name).groups()
        date = f"{y}-{m}-{d}"
    return Source(root() / rel, date, gold)


def _aliases(*golds: str) -> tuple[str, ...]:
    seen: dict[str, None] = {}
    for g in golds:
        seen.update(dict.fromkeys(records.gold_module(g).SET.get("aliases", ())))
    return tuple(seen)


def people() -> list[RealPerson]:
    """The four people, each with its sources sorted by date."""
    def make(key, gold, kind, split, sources):
        return RealPerson(key, records.gold_module(gold).SET["subject"],
                          _aliases(*dict.fromkeys(s.gold for s in sources)), kind,
                          tuple(sorted(sources, key=lambda s: (s.date, s.path.name))), split)

    return [
        make("psaki", "briefings", "press secretary at briefings", "2022-04-20",
               [_source(f"briefings/{n}", "briefings") for n in _PSAKI_OLD]
               + [_source(f"people/psaki/psaki-{d}-briefing.md", "briefings") for d in _PSAKI_NEW]),
        make("powell", "fomc", "central-bank chair at press conferences", "2025-05-07",
               [_source(f"fomc/FOMCpresconf{d}.pdf", "fomc") for d in _POWELL_PDF]
               + [_source(f"scraped/FOMCpresconf{d}.txt", "scraped") for d in _POWELL_SCRAPED]
               + [_source(f"people/powell/FOMCpresconf{d}.txt", "scraped") for d in _POWELL_NEW]),
        make("bernanke", "congress", "witness questioned at congressional hearings",
               "2009-07-22",
               [_source(f"congress/{n}", "congress") for n in _BERNANKE_OLD]
               + [_source(f"people/bernanke/{n}", "congress") for n in _BERNANKE_NEW]),
        make("chapman", "oral_history", "narrator of a long oral-history interview", "within",
               [_source("oral_history/chapman-usmc-oral-history.pdf", "oral_history",
                        "1979-01-17")]),
    ]


def person(key: str) -> RealPerson:
    return next(p for p in people() if p.key == key)


class _AnyLabel(dict):
    """A gold label map that also takes the labels it lacks, each as a speaker of its own name."""

    def __init__(self, base: dict, subject_surname: str) -> None:
        super().__init__(base)
        self.surname = subject_surname
        self.added: set[str] = set()

    def __contains__(self, label: object) -> bool:
        return True

    def __missing__(self, label: str) -> str:
        if self.surname in label.lower():
            raise ValueError(f"unmapped label {label!r} names the subject")
        self.added.add(label)
        return label


@cache
def gold_turns(path: Path, gold: str, surname: str = "") -> tuple[tuple[str, str], ...]:
    """The gold parser's turns (speaker, text) of one file; see the module's note on labels."""
    module = records.gold_module(gold)
    labels = module.SET["speaker_map"]
    extended = {**labels, **_EXTRA.get(gold, {})}
    try:
        module.SET["speaker_map"] = extended
        try:
            return tuple(module.gold(path))
        except ValueError as refused:
            if "unmapped label" not in str(refused) or not surname:
                raise
        module.SET["speaker_map"] = _AnyLabel(extended, surname)
        return tuple(module.gold(path))
    finally:
        module.SET["speaker_map"] = labels


def turns_of(person: RealPerson, source: Source) -> tuple[tuple[str, str], ...]:
    """The gold turns of one of the person's sources (a person's key is their surname)."""
    return gold_turns(source.path, source.gold, person.key)


def within_cut(turns: tuple[tuple[str, str], ...]) -> int:
    """Index of the first held-out turn of a one-source person."""
    return len(turns) - int(len(turns) * WITHIN_HELD_OUT)


def _exchanges(person: RealPerson, source: Source, start: int = 0) -> list[Exchange]:
    turns = turns_of(person, source)
    out = []
    for i in range(max(start, 1), len(turns)):
        (asker, question), (who, answer) = turns[i - 1], turns[i]
        if who == person.name and asker != person.name \
                and len(records.tokens(answer)) >= MIN_ANSWER_WORDS:
            out.append(Exchange(source.path, source.date, asker, question, answer))
    return out


def gold_exchanges(person: RealPerson, held_out_only: bool = True) -> list[Exchange]:
    """Each subject turn (>= 8 words) right after another speaker's turn, in source order: of the
    held-out sources (the last third of the turns, for a one-source person), or of all."""
    if not held_out_only:
        return [e for s in person.sources for e in _exchanges(person, s)]
    if person.split == "within":
        return [e for s in person.sources
                for e in _exchanges(person, s, within_cut(turns_of(person, s)))]
    return [e for s in person.held_out_sources() for e in _exchanges(person, s)]


def gold_words(person: RealPerson, build_only: bool = False) -> tuple[Counter, Counter]:
    """Token counts of the subject's words and of everyone else's, over all the person's sources
    (with ``build_only``: over the build side, the first two thirds of a one-source person's turns)."""
    mine, others = Counter(), Counter()
    for source in person.build_sources() if build_only else person.sources:
        turns = turns_of(person, source)
        if build_only and person.split == "within":
            turns = turns[:within_cut(turns)]
        for who, text in turns:
            (mine if who == person.name else others).update(records.tokens(text))
    return mine, others
