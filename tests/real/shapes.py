"""Render a labelled dialogue in the layout of each real public record set, with its truth.

Why: ``tests/test_real_records.py`` checks Sosie on the real files of ``tests/data/real/SET/``, but
those are a few fixed files: a reader can pass them and still fail the next briefing, hearing or
podcast episode written the same way. Here any dialogue of :mod:`conventions` (random speakers,
turn orders and sentences) is written exactly as one real set lays its records out, with the
set's own furniture taken from the real bytes (front matter, place and time lines, page headers,
margin numbers, tape logs, stage notes), so a property test can check that the subject gets
exactly their own words in every real convention, not only in the 13 synthetic ones.

Each shape's docstring names the real files it copies. The speech is :class:`conventions.Speech`'s
(no colons, digits or all-capitals words), so nothing in what people say looks like a label; what
the real layouts add around it (``MS. OKAFOR:`` + U+00A0, ``Q`` + a run of U+00A0, ``(Laughter.)``,
``Okafor - 3`` page headers, a CRLF podcast with a BOM) is what the reader must cope with. Stage
notes (``(Laughter.)``, ``[Laughter]``, ``(laughs)``) are written into turns as the real records
have them and are nobody's words, so the truth leaves them out, as the sets' gold parsers do.

The truth follows :mod:`conventions`: one true turn per label (a podcast's group labels ``All``,
``Ada Okafor & Ben Ito`` are turns of nobody in particular, never the subject's), the subject named
as a user names them (``Subject(name, aliases)`` with the aliases the real set's gold lists, made
for this person), and a label -> person map only for machine labels (Deepgram's 0, 1, AssemblyAI's
A, B). Paged records are written as the text their PDF extracts to (``.txt``, pages separated by
form feeds, as ``pdftotext`` separates them) and, since reportlab (a dependency of screenplain) is
installed, as a real PDF that pypdf extracts to that same text.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import random
import re
import sys
import textwrap
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]
if str(TESTS) not in sys.path:  # conventions.py sits in tests/, beside this folder
    sys.path.insert(0, str(TESTS))

import conventions as cv  # noqa: E402
from conventions import Dialogue, Person, Rendered, TrueTurn, Truth, Utterance, normalise  # noqa: E402

NBSP = "\u00a0"
# suffix, content, true turns, label -> person map (machine labels only), the subject's aliases
Out = tuple[str, str | bytes, list[TrueTurn], dict[str, str], tuple[str, ...]]

# -- helpers shared by the shapes ------------------------------------------------------------

SENTENCE_END = re.compile(r"(?<=[.?!]) (?=\S)")


def sentences(paragraph: str) -> list[str]:
    """A paragraph of :class:`conventions.Speech` cut into its sentences (they are joined by one space)."""
    return SENTENCE_END.split(paragraph)


def pieces(rng: random.Random, paragraph: str, notes: Sequence[str] = (), chance: float = 0.0) -> list[str]:
    """The paragraph's sentences and, now and then after one, a stage note from ``notes``.

    Each layout joins the pieces its own way (``.`` + U+00A0 + space in a briefing, two spaces in
    a typed record); a note sits between sentences, never inside one, as in the real records."""
    out: list[str] = []
    for sentence in sentences(paragraph):
        out.append(sentence)
        if notes and rng.random() < chance:
            out.append(rng.choice(notes))
    return out


def truth_turns(d: Dialogue, label: Callable[[Utterance], str]) -> list[TrueTurn]:
    return [TrueTurn(label(u).strip(), u.role, normalise(u.text)) for u in d.utterances]


def wrap(text: str, width: int, first: str = "", rest: str = "") -> list[str]:
    """Hard-wrap on spaces only, as publishers' text does: never inside a hyphenated word, and
    U+00A0 (not a space to textwrap) keeps a label or a sentence end on its word."""
    return textwrap.wrap(text, width, initial_indent=first, subsequent_indent=rest,
                         break_long_words=False, break_on_hyphens=False) or [first.rstrip()]


def long_date(day: dt.date) -> str:
    return f"{day:%B} {day.day}, {day.year}"


def upper(p: Person) -> str:
    return p.full.upper()


def pdf(pages: Sequence[Sequence[str]], font: str = "Times-Roman", size: int = 11, top: int = 750,
        leading: float = 13.0) -> bytes:
    """A PDF with one drawn line per string (an empty string leaves its line empty), which pypdf
    extracts back line for line, spaces included: the layout a publisher's PDF extracts to."""
    from reportlab.lib.pagesizes import letter
    from reportlab.pdfgen import canvas

    out = io.BytesIO()
    paper = canvas.Canvas(out, pagesize=letter, invariant=1)  # invariant: the same bytes every run
    for lines in pages:
        paper.setFont(font, size)
        y = top
        for line in lines:
            if line:
                paper.drawString(72, y, line)
            y -= leading
        paper.showPage()
    paper.save()
    return out.getvalue()


def form_feeds(pages: Sequence[Sequence[str]]) -> str:
    """Extracted pages as one text file, a form feed opening each page after the first (as
    ``pdftotext`` marks a page break)."""
    return "\n\f".join("\n".join(lines) for lines in pages) + "\n"


# -- briefings: White House press briefings (whitehouse.gov, pandoc markdown scrape) ----------

WH_NOTES = ("(Laughter.)", "(Laughter.)", "(Cross-talk.)", "(Laughs.)")
WH_Q = (f"Q{NBSP * 3} ", f"Q{NBSP * 3} ", f"Q{NBSP * 3} ", f"Q{NBSP * 2} ", f"Q{NBSP} ")
WH_NAMED = (f":{NBSP} ", f":{NBSP} ", f":{NBSP} ", f": {NBSP}", f":{NBSP * 2} ")


def _wh_time(minutes: int, zone: str) -> str:
    h, m = divmod(minutes, 60)
    return f"{h if h <= 12 else h - 12}:{m:02d} {'A.M.' if h < 12 else 'P.M.'} {zone}"


def briefing(d: Dialogue, v: str) -> Out:
    """A White House press briefing as brian14708/wh-briefings scraped it (``psaki-*.md``).

    a: the Brady Room briefing of 2021-02-08 / 2022-04-07: YAML front matter, a line holding one
       space, the place line, the start time ``12:07 P.M. EST``; ``MS. OKAFOR:`` + U+00A0 + space,
       reporters a bare ``Q`` + a run of U+00A0 and a space; sentences ended by ``.`` + U+00A0 +
       space; text hard-wrapped at 72 columns; blank lines empty; ``(Laughter.)`` on a line of its
       own under a paragraph; the close time last.
    b: 2021-12-09 with NEC Director Deese: a second official ``MR. ITO:`` (others[0]) answers
       too, the title folded over two YAML lines; paragraphs end in two spaces (markdown hard
       breaks), "blank" lines hold U+00A0 + two spaces; now and then a ``Q`` right under the
       previous turn with no blank line (2021-02-23).
    c: the 2022-01-11 gaggle aboard Air Force One: two place lines, reporters sometimes ``Q:``,
       blank lines of two spaces (2021-12-02) or U+00A0 + two spaces.
    d: as a with a second official, and the publisher's typos that are still the same people:
       ``S. OKAFOR:`` (2021-02-08) and ``QMS. OKAFOR:`` (a stray Q glued on) for the subject,
       ``MS. ITO:`` for Mr. Ito (``MS. DEESE:``), ``Q– `` (an interrupted question resumed).
    """
    rng = random.Random(f"briefing-{d.seed}-{v}")
    s = d.subject
    official = d.others[0] if v in ("b", "d") else None
    zone = "EDT" if 4 <= d.date.month <= 10 else "EST"
    start = rng.randint(11 * 60, 15 * 60 + 30)
    words = d.words
    end = start + 10 + words // 150 + rng.randint(0, 20)
    hard = v in ("b", "c")
    blank = {"a": "", "b": f"{NBSP}  ", "c": rng.choice(["  ", f"{NBSP}  "]), "d": ""}[v]

    def label(u: Utterance) -> str:
        if u.role == "subject":
            return f"{s.title.upper()} {s.last.upper()}"
        if u.speaker == official:
            return f"{official.title.upper()} {official.last.upper()}"
        return "Q"

    slipped: set[str] = set()  # each typo once a file, as in the real ones (among dozens of labels)

    def opener(u: Utterance, i: int) -> str:
        name = label(u)
        slip = rng.random() if v == "d" else 1.0
        if u.role == "subject" and i and slip < 0.4 and "subject" not in slipped:  # "S. PSAKI:"
            name = name[1:] if slip < 0.2 else "Q" + name
            slipped.add("subject")
        elif u.speaker == official and slip < 0.4 and "official" not in slipped:  # "MS. DEESE:" for Mr. Deese
            name = ("MS. " if official.title != "Ms." else "MR. ") + official.last.upper()
            slipped.add("official")
        elif name == "Q" and slip < 0.3 and "Q" not in slipped:
            slipped.add("Q")
            return "Q– "
        if name != "Q":
            return name + rng.choice(WH_NAMED)
        if v == "c" and rng.random() < 0.4:
            return rng.choice(["Q: ", f"Q:{NBSP} {NBSP} "])
        return rng.choice(WH_Q)

    # -- the front matter, as the scraper wrote it (title escapes: YAML's "\_" is U+00A0)
    offset = "-04:00" if zone == "EDT" else "-05:00"
    month_day = f"{d.date:%B} {d.date.day}"
    who = f"Press Secretary {s.first}\\_{s.last}"
    if v == "c":
        city = rng.choice(cv.CITIES)
        title = f"Press Gaggle by {who} En Route\\_{city}"
        slug = f"press-gaggle-by-press-secretary-{s.first}-{s.last}-en-route-{city}"
    elif official is not None:
        title = (f"Press Briefing by {who} and {official.job} {official.first} {official.last}, "
                 f"{month_day},\\_{d.date.year}")
        slug = (f"press-briefing-by-press-secretary-{s.first}-{s.last}-and-{official.job.replace(' ', '-')}-"
                f"{official.first}-{official.last}-{month_day.replace(' ', '-')}-{d.date.year}")
    else:
        title = f"Press Briefing by {who}, {month_day},\\_{d.date.year}"
        slug = (f"press-briefing-by-press-secretary-{s.first}-{s.last}-{month_day.replace(' ', '-')}-"
                f"{d.date.year}")
    title_line = f'title: "{title}"'
    if len(title_line) > 80:  # the scraper folds a long title: "...Council\" / "  \ Director ..."
        cut = title_line.rfind(" ", 0, 80)
        title_line = title_line[:cut] + "\\\n  \\ " + title_line[cut + 1:]
    published = (f"{d.date.isoformat()} {end // 60 + 1:02d}:{rng.randint(0, 59):02d}:"
                 f"{rng.randint(0, 59):02d}{offset}")
    front = ["---", "tags: press-briefings", f"date: '{d.date.isoformat()}'"]
    if v != "c":
        front.append(f"modified_time: {published}")
    front += [f"source_url: https://bidenwhitehouse.archives.gov/briefing-room/press-briefings/"
              f"{d.date:%Y/%m/%d}/{slug.lower()}/", f"published_time: {published}", title_line, "---", " "]
    if v == "c":
        head = ["Aboard Air Force One  ", f"En Route {city}", "", _wh_time(start, zone) + "  ", blank]
    else:
        tail = "  " if hard else rng.choice(["", "", NBSP * 5])
        head = ["James S. Brady Press Briefing Room", "", _wh_time(start, zone) + tail, blank]

    # -- the turns
    body: list[str] = []
    for i, u in enumerate(d.utterances):
        if i and not (hard and label(u) == "Q" and rng.random() < 0.1):
            body.append(blank)  # (2021-02-23 once set a Q right under her line, no blank between)
        for k, paragraph in enumerate(u.paragraphs):
            if k:
                body.append(blank)
            parts = pieces(rng, paragraph, WH_NOTES, 0.06)
            note_line = None
            if v == "a" and rng.random() < 0.08:  # "(Laughter.)\xa0" on a line of its own, under it
                note_line = rng.choice(WH_NOTES) + NBSP
            joined = ""
            for j, part in enumerate(parts):
                joined += part if j == 0 else (f"{NBSP} " if rng.random() < 0.9 else " ") + part
            lines = wrap((opener(u, i) if k == 0 else "") + joined, 72)
            if hard:
                lines[-1] += rng.choice(["  ", f"{NBSP}  "])
            elif rng.random() < 0.3:
                lines[-1] += NBSP
            body += lines
            if note_line:
                body.append(note_line)
    closing = ["", _wh_time(end, zone), ""] if not hard else [blank, _wh_time(end, zone), ""]
    text = "\n".join(front + head + body + closing)
    aliases = (s.last, s.first, "Press Secretary", f"{s.title.upper()} {s.last.upper()}")
    return ".md", text, truth_turns(d, label), {}, aliases


# -- congress: GPO hearing records (govinfo CHRG text edition, <pre> HTML) --------------------

GPO_WIDTH = 64
STATES = ["Ohio", "Texas", "Kansas", "North Carolina", "New York", "Georgia", "Wisconsin", "Oregon"]


def _gpo(text: str, first: str = "    ", width: int = GPO_WIDTH) -> list[str]:
    """GPO's wrap: the paragraph's first line indented 4 spaces, every wrapped line keeping the
    space it broke at (``hearing this ``), the last line none."""
    lines = wrap(text, width, first=first)
    return [line + " " for line in lines[:-1]] + lines[-1:]


def _centred(text: str, width: int = 71) -> str:
    return " " * max(0, (width - len(text)) // 2) + text


def _heading(text: str, rng: random.Random) -> list[str]:
    """A statement heading: capitals, wrapped, the second line centred, blank lines around it."""
    indent = rng.choice([0, 7, 12])
    lines = wrap(text, GPO_WIDTH - indent)
    first, rest = lines[0], lines[1:]
    out = ["", (" " * indent + first + (" " if rest else ""))]
    out += [_centred(line, 64) for line in rest]
    return out + [""]


def hearing(d: Dialogue, v: str) -> Out:
    """A congressional hearing as GPO publishes its text edition (``bernanke-*.htm``, from
    ihmc/congressional_hearings): ``<html><title> - TITLE</title><body><pre>``, the cover and the
    committee roster, the "committee met, pursuant to notice" and "Members present" paragraphs,
    then turns with no blank lines: ``    The Chairman. text`` wrapped at 64 columns, each wrapped
    line keeping its trailing space, a later paragraph of the same turn indented 4 spaces; the
    witness (the subject) ``    Mr. Okafor.`` / ``    Dr. Raman.``; a blank-line-delimited
    capitals heading ``STATEMENT OF THE HONORABLE ...`` before the witness first speaks; the end
    ``    [Whereupon, at 1:00 p.m., the hearing was adjourned.]``, then the appendix, U+001A and
    ``</pre></body></html>``.

    a: House Financial Services (2008-02-27, 2009-07-21): ``The Chairman.``, members
       ``Mr. Ito.`` / ``Ms. Jones.``, the appendix ``A P P E N D I X``.
    b: Senate Banking (2008-07-15): ``Chairman Ito.``, ``Senator Jones.``, ``OPENING STATEMENT OF
       CHAIRMAN ...`` before the chair first speaks, ``Senator Jones [presiding].`` once, and
       after the adjournment the witness's PREPARED STATEMENT (written, not spoken: not theirs
       to quote as said, so not in the truth).
    c: House, a member in the chair (``Mr. Smith. [presiding] ...``), a member ``of Ohio``,
       ``[Laughter.]`` and ``[Recess]`` lines between turns and ``[Laughter.]`` inside them.
    """
    rng = random.Random(f"hearing-{d.seed}-{v}")
    s, chair = d.subject, d.others[0]
    senate = v == "b"
    of_state = {p: rng.choice(STATES) for p in d.others[1:2]} if v == "c" else {}

    def label(u: Utterance) -> str:
        p = u.speaker
        if u.role == "subject":
            return f"{s.title} {s.last}"
        if p == chair:
            return f"Chairman {p.last}" if senate else "The Chairman"
        if senate:
            return f"Senator {p.last}"
        return f"{p.title} {p.last}" + (f" of {of_state[p]}" if p in of_state else "")

    title = d.title.upper()
    date = long_date(d.date)
    congress = rng.choice([110, 111])
    committee = "Banking, Housing, and Urban Affairs" if senate else "Financial Services"
    head = ["<html>", f"<title> - {title}</title>", "<body><pre>",
            f"[{'Senate' if senate else 'House'} Hearing, {congress} Congress]",
            "[From the U.S. Government Printing Office]", "", "", "", _centred(title), "",
            "=" * 71, "", _centred("HEARING"), "", _centred("BEFORE THE"), "",
            _centred(f"COMMITTEE ON {committee.upper()}"), "",
            _centred("UNITED STATES SENATE" if senate else "U.S. HOUSE OF REPRESENTATIVES"), "",
            _centred(f"ONE HUNDRED {'TENTH' if congress == 110 else 'ELEVENTH'} CONGRESS"), "",
            _centred("SECOND SESSION"), "", _centred("__________"), "", _centred(date.upper()), "",
            _centred("__________"), "", f"       Printed for the use of the Committee on {committee}", "",
            _centred(f"Serial No. {congress}-{rng.randint(20, 90)}"), "", "",
            _centred(f"{'SENATE' if senate else 'HOUSE'} COMMITTEE ON {committee.upper()}"),
            _centred(f"{upper(chair)}, {rng.choice(STATES)}, Chairman"), ""]
    members = [*d.others[1:], Person("Kim", "Hale", "Mr."), Person("Ruth", "Oyelaran", "Ms.")]
    for a, b in zip(members[::2], members[1::2], strict=False):
        head.append(f"{upper(a) + ', ' + rng.choice(STATES):37}{upper(b)}, {rng.choice(STATES)}")
    head += ["", _centred("C O N T E N T S"), "", _centred("----------") + " " * 30, "",
             " " * 67 + "Page", "",
             f"{s.last}, Hon. {s.first}, {s.job}".ljust(65, ".") + "     7", "", " ", _centred(title), "",
             _centred("----------") + " " * 30, "", "", _centred(f"{d.date:%A}, {date}"), ""]
    if senate:
        head += ["                                       U.S. Senate,",
                 f"          Committee on {committee},", " " * 52 + "Washington, DC."]
        head += _gpo(f"The Committee met at 10:{rng.randint(0, 30):02d} a.m., in room SR-325, Russell Senate "
                     f"Office Building, Senator {chair.full} (Chairman of the Committee) presiding.")
    else:
        head += ["             U.S. House of Representatives,",
                 f"                   Committee on {committee},", " " * 51 + "Washington, D.C."]
        head += _gpo(f"The committee met, pursuant to notice, at 10:{rng.randint(0, 30):02d} a.m., in room "
                     f"2128, Rayburn House Office Building, Hon. {chair.full} [chairman of the committee] "
                     "presiding.")
        head += _gpo("Members present: Representatives " + ", ".join(p.last for p in d.others) + ".")

    body: list[str] = []
    stated = opened = presided = False
    for i, u in enumerate(d.utterances):
        if u.role == "subject" and not stated:
            heading = (f"STATEMENT OF {upper(s)}, {s.job.upper()}, {title} COMMISSION" if senate else
                       f"STATEMENT OF THE HONORABLE {upper(s)}, {s.job.upper()}, {title} COMMISSION")
            body += _heading(heading, rng)
            stated = True
        if senate and u.speaker == chair and not opened:
            body += ["", f"       OPENING STATEMENT OF CHAIRMAN {upper(chair)}", ""]
            opened = True
        name = label(u)
        presiding = ""
        if u.role == "other" and u.speaker != chair and not presided and v in ("b", "c") and i >= 2:
            presided = True  # a member takes the chair for a while
            if senate:
                name += " [presiding]"
            else:
                presiding = "[presiding] "
        for k, paragraph in enumerate(u.paragraphs):
            text = " ".join(pieces(rng, paragraph, ("[Laughter.]",), 0.05 if v == "c" else 0.0))
            body += _gpo((f"{name}. {presiding}" if k == 0 else "") + text)
        if v == "c" and rng.random() < 0.12:
            body.append("    " + rng.choice(["[Laughter.]", "[Laughter.]", "[Recess]"]))
    body.append(f"    [Whereupon, at {rng.randint(12, 13) if senate else 1}:{rng.randint(0, 59):02d} p.m., "
                "the hearing was adjourned.]")
    if senate:  # the witness's prepared statement: written for the record, not said
        written = cv.Speech(random.Random(d.seed + 7), s)
        tail = _gpo("[Prepared statements, response to written questions, and additional material "
                    "supplied for the record follow:]", width=70)
        tail += [_centred(f"PREPARED STATEMENT OF {upper(s)}", 70), _centred(s.job, 70), _centred(date, 70)]
        for paragraph in written.paragraphs(4, 9, 3):
            tail += _gpo(paragraph, width=70)
        tail += ["", "[GRAPHIC(S) NOT AVAILABLE IN TIFF FORMAT]", "", "\x1a", "</pre></body></html>", ""]
    else:
        tail = ["", "", "", "", _centred("A P P E N D I X", 62), "", "", "", _centred(date, 62), "",
                "[GRAPHIC(S) NOT AVAILABLE IN TIFF FORMAT]", "", "", "\x1a", "</pre></body></html>", ""]
    aliases = (s.last, s.full, f"{s.title} {s.last}", s.first)
    return ".htm", "\n".join(head + body + tail), truth_turns(d, label), {}, aliases


# -- court: Supreme Court oral arguments (Alderson Reporting; pdftotext -layout, and the PDF) -

COURT_WIDTH = 56


@dataclass
class CourtRecord:
    """A court reporter's transcript as numbered lines (25 a page), before it is laid out."""

    lines: list[str] = field(default_factory=list)  # each numbered line's text, its indent kept
    indent: int = 17  # where a label or a new paragraph starts (13-17 in the real text)

    def page_break(self) -> None:
        while len(self.lines) % 25:
            self.lines.append("")

    def pages(self) -> list[list[str]]:
        self.page_break()
        return [self.lines[i:i + 25] for i in range(0, len(self.lines), 25)]


def _court_paragraph(rng: random.Random, text: str, indent: int, label: str = "") -> list[str]:
    """One paragraph as the reporter sets it: the first line indented (after the label and a wide
    gap), the rest in the margin; sentences typed with two spaces, which the justified PDF
    widens (pdftotext keeps those gaps: ``collection.                  The Act``)."""
    gap = " " * rng.randint(5, 20) if label else ""
    lead = " " * indent + (f"{label}:" + gap if label else "")
    lines = wrap(text, COURT_WIDTH, first=" " * (len(lead) - 3), rest="")
    lines[0] = lead + lines[0].lstrip(" ")
    lines[1:] = ["   " + line for line in lines[1:]]
    return [re.sub(r"(?<=[.?!])  (?=\S)", lambda _: " " * rng.choice([2, 4, 6, 9, 13, 18]), line)
            for line in lines]


def court_record(d: Dialogue, v: str, rng: random.Random) -> tuple[CourtRecord, dict[Person, str], list[str]]:
    """The numbered lines of an oral argument of ``d``, the labels, and the index words."""
    s = d.subject
    counsel = s if v in ("b", "c") else d.others[0]
    chief = d.others[0] if counsel == s else s
    honorific = {"Mr.": "MR.", "Ms.": "MS.", "Dr.": "GENERAL"}  # "GENERAL VERRILLI": the Solicitor General
    labels = {chief: f"CHIEF JUSTICE {chief.last.upper()}",
              counsel: f"{honorific[counsel.title]} {counsel.last.upper()}"}
    for p in d.others:
        labels.setdefault(p, f"JUSTICE {p.last.upper()}")
    record = CourtRecord(indent=rng.randint(13, 17))
    side = rng.choice(["PETITIONERS", "RESPONDENTS"])
    party = d.title.upper()
    # page 1: the caption and the appearances
    record.lines += ["          IN THE SUPREME COURT OF THE UNITED STATES",
                     "   - - - - - - - - - - - - - - - - - x", f"   {party}, ET AL.,".ljust(55) + ":",
                     "                  Petitioners".ljust(55) + ":    No. 11-398",
                     "          v.".ljust(55) + ":", "   UNITED STATES, ET AL.".ljust(55) + ":",
                     "   - - - - - - - - - - - - - - - - - x", " " * 33 + "Washington, D.C.",
                     " " * 33 + f"{d.date:%A}, {long_date(d.date)}", "",
                     "                    The above-entitled matter came on for oral",
                     "   argument before the Supreme Court of the United States", "   at 10:12 a.m.",
                     "   APPEARANCES:", f"   {upper(counsel)}, ESQ., Washington, D.C.; on behalf of",
                     f"      {side.capitalize()}."]
    record.page_break()
    # page 2: the contents
    record.lines += ["                            C O N T E N T S",
                     "   ORAL ARGUMENT OF                                        PAGE",
                     f"   {upper(counsel)}, ESQ.",
                     f"      On behalf of the {side.capitalize()}" + " " * 23 + "3"]
    record.page_break()
    record.lines += ["                       P R O C E E D I N G S", " " * 66 + "(10:12 a.m.)"]
    argued = False
    for u in d.utterances:
        if u.speaker == counsel and not argued:  # the argument's heading, before counsel speaks
            record.lines += [" " * 18 + f"ORAL ARGUMENT OF {upper(counsel)}",
                             " " * 16 + f"ON BEHALF OF THE {side}"]
            argued = True
        for k, paragraph in enumerate(u.paragraphs):
            text = "  ".join(pieces(rng, paragraph))
            record.lines += _court_paragraph(rng, text, record.indent, labels[u.speaker] if k == 0 else "")
        if v == "b" and rng.random() < 0.15:
            record.lines.append(" " * record.indent + "(Laughter.)")
    record.lines += [" " * record.indent + f"(Whereupon, at 11:{rng.randint(10, 59):02d} a.m., the case in "
                     "the",
                     "   above-entitled matter was submitted.)"]
    words = sorted({w.strip(".,?!").lower() for u in d.utterances for w in u.text.split()} - {""})
    return record, labels, words


def _court_index(rng: random.Random, words: list[str], first_page: int, pages: int) -> list[list[str]]:
    """The word index after the argument: columns of ``word page:line,line``, a letter heading
    where the initial changes; many words, all after the end of the spoken record."""
    entries: list[str] = []
    initial = ""
    for word in words[:160]:
        if word[0] != initial:
            initial = word[0]
            entries.append(f"         {initial.upper()}")
        refs = " ".join(f"{rng.randint(3, max(3, pages))}:{rng.randint(1, 25)}"
                        for _ in range(rng.randint(1, 3)))
        entries.append(f"{word} {refs}")
    per_page, out = 5 * 40, []
    for start in range(0, len(entries), per_page):
        chunk = entries[start:start + per_page]
        rows = [chunk[i::40] for i in range(40)]
        out.append([" ".join(f"{cell:18}" for cell in row).rstrip() for row in rows if row])
    return out


def _court_pages_text(rng: random.Random, record: CourtRecord, index: list[list[str]]) -> str:
    pages = []
    for n, lines in enumerate(record.pages(), start=1):
        numbered = [f"{i:2d}{line}".rstrip() if line.strip() else f"{i:2d}"
                    for i, line in enumerate(lines, 1)]
        pages.append(" " * rng.randint(22, 26) + "Official - Subject to Final Review\n\n\n"
                     + "\n\n".join(numbered) + "\n\n" + " " * rng.randint(37, 41) + str(n) + "\n\n"
                     + " " * rng.randint(24, 26) + "Alderson Reporting Company\n")
    first = len(pages) + 1
    for n, rows in enumerate(index, start=first):
        pages.append(" " * 35 + "Official - Subject to Final Review\n\n" + " " * 101 + str(n) + "\n\n"
                     + "\n".join(rows) + "\n\n" + " " * 32 + "Alderson Reporting Company\n")
    return "\f".join(pages) + "\f"


def _court_pages_pdf(record: CourtRecord, index: list[list[str]]) -> bytes:
    """What the Court's PDF extracts to: the margin numbers 1-25 first (a column drawn before the
    text), then the header, each line with its indent as one space, page number, footer."""
    drawn = []
    for n, lines in enumerate(record.pages(), start=1):
        page = [str(i) for i in range(1, 26)] + ["Official - Subject to Final Review "]
        for line in lines:
            if line.strip():
                page.append((" " if line.startswith(" " * 4) else "") + " ".join(line.split()) + " ")
        drawn.append(page + [str(n), "Alderson Reporting Company "])
    for n, rows in enumerate(index, start=len(drawn) + 1):
        drawn.append(["Official - Subject to Final Review ", str(n)]
                     + [" ".join(r.split()) + " " for r in rows] + ["Alderson Reporting Company "])
    return pdf(drawn, font="Courier", size=10, top=760, leading=9.5)


def court(d: Dialogue, v: str) -> Out:
    """A Supreme Court oral argument as Alderson Reporting sets it (``hhs-v-florida-2012-03-2*``).

    The text (a, b) is ``pdftotext -layout`` of the Court's PDF: each page opens with the header
    ``Official - Subject to Final Review`` and ends with its number and ``Alderson Reporting
    Company``, then a form feed; 25 numbered lines a page, double-spaced, the numbers in the left
    margin; labels ``CHIEF JUSTICE OKAFOR:``, ``JUSTICE ITO:``, ``MR. SMITH:`` (``GENERAL RAMAN:``
    for a Dr., like the Solicitor General) at the paragraph indent, then a wide gap; justified gaps
    after sentences. Pages 1-2 are the caption and the contents, page 3 opens with
    ``P R O C E E D I N G S`` and ``(10:12 a.m.)``; an ``ORAL ARGUMENT OF ...`` / ``ON BEHALF OF
    THE PETITIONERS`` heading precedes counsel; ``(Whereupon, ... was submitted.)`` ends the record
    and a word index of the whole argument follows.

    a: the subject is the chief justice, others[0] argues, the rest are justices.
    b: the subject argues (``MR. VARGA:``), others[0] presides; ``(Laughter.)`` lines.
    c: as b, as the Court's PDF itself (what pypdf extracts: the margin numbers as a column).
    """
    rng = random.Random(f"court-{d.seed}-{v}")
    record, labels, words = court_record(d, v, rng)
    pages = len(record.pages())
    index = _court_index(rng, words, pages + 1, pages)
    turns = truth_turns(d, lambda u: labels[u.speaker])
    s = d.subject
    if labels[s].startswith("CHIEF JUSTICE"):
        aliases = (f"Chief Justice {s.last}", s.full, s.last, "Mr. Chief Justice",
                   f"CHIEF JUSTICE {s.last.upper()}")
    else:
        aliases = (s.full, s.last, labels[s])
    if v == "c":
        return ".pdf", _court_pages_pdf(record, index), turns, {}, aliases
    return ".txt", _court_pages_text(rng, record, index), turns, {}, aliases


# -- fomc: the Federal Reserve's press-conference PDFs ----------------------------------------

FOMC_LINES = 28
FOMC_WIDTH = 96


def fomc_pages(d: Dialogue, v: str, rng: random.Random) -> tuple[list[list[str]], Callable[[Utterance], str]]:
    """The pages of a press conference as pypdf extracts them, and the labels."""
    s = d.subject

    def label(u: Utterance) -> str:
        return f"CHAIR {s.last.upper()}" if u.role == "subject" else upper(u.speaker)

    call = " Call" if v == "c" else ""
    date = long_date(d.date)
    notes = ("[Laughter]",) if v != "c" else ("[Laughter]", "[Silence]", "[Extended silence]")
    text: list[str] = []
    for u in d.utterances:
        for k, paragraph in enumerate(u.paragraphs):
            chance = 0.1 if v == "c" and u.speaker == d.others[0] else 0.03
            body = "  ".join(pieces(rng, paragraph, notes, chance))
            gap = " " if v == "c" and rng.random() < 0.3 else "  "  # 2019: one space after the label
            lines = wrap((f"{label(u)}.{gap}" if k == 0 else "") + body, FOMC_WIDTH)
            text += [line + " " for line in lines]
    title = [f"Transcript of Chair {s.last}’s Press Conference{call} ", f"{date} ", " "]
    per_page = [FOMC_LINES - len(title)] + [FOMC_LINES] * len(text)
    pages, i = [], 0
    while i < len(text) or not pages:
        n = per_page[len(pages)]
        pages.append(text[i:i + n])
        i += n
    total = len(pages)
    gap = "  " if call else "   "
    out = []
    for n, lines in enumerate(pages, start=1):
        header = [f"{date}{gap}Chair {s.last}’s Press Conference{call}  FINAL ", " ",
                  f"Page {n} of {total} ", " "]
        out.append(header + (title if n == 1 else []) + lines)
    return out, label


def fomc(d: Dialogue, v: str) -> Out:
    """An FOMC press conference as the Board publishes it (``FOMCpresconf2024061?.pdf`` and the
    other four), pages as pypdf extracts them: the running header ``June 12, 2024   Chair
    Okafor’s Press Conference  FINAL `` (U+2019, runs of spaces, a trailing space), a line of one
    space, the folio ``Page 1 of 3 ``, a line of one space; page 1 then the title ``Transcript of
    Chair Okafor’s Press Conference`` and the date; turns ``CHAIR OKAFOR.  text`` (the subject) and
    ``BEN ITO.  text``; lines of about 95 characters each ending in a space, sentences typed with
    two spaces, a new paragraph of the same speaker just a new line; ``[Laughter]`` now and then.

    a: the PDF (drawn with reportlab so that pypdf extracts exactly those lines).
    b: the same pages as a text file, a form feed before each page after the first.
    c: the 2020-03-15 press conference *call*: ``... Press Conference Call  FINAL``, one space after
       some labels, the moderator's ``[Silence]`` / ``[Extended silence]``; as a PDF.
    """
    rng = random.Random(f"fomc-{d.seed}-{v}")
    pages, label = fomc_pages(d, v, rng)
    s = d.subject
    aliases = (s.last, f"Chair {s.last}", s.full, f"Chairman {s.last}", f"CHAIR {s.last.upper()}")
    turns = truth_turns(d, label)
    if v == "b":
        return ".txt", form_feeds(pages), turns, {}, aliases
    return ".pdf", pdf(pages, size=10, leading=12.5), turns, {}, aliases


# -- oral_history: the Marine Corps Oral History Program's transcript PDF ---------------------

OH_LINES = 38
OH_WIDTH = 98
OH_FOOTER = "Marine Corps History Division"
ROMAN = ["I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII"]


def oral_history_pages(d: Dialogue, v: str,
                       rng: random.Random) -> tuple[list[list[str]], Callable[[Utterance], str]]:
    s = d.subject
    interviewer = d.others[0]

    def label(u: Utterance) -> str:
        if u.role == "subject":
            return s.last
        return "Interviewer" if v != "b" and u.speaker == interviewer else u.speaker.last

    session = rng.choice(ROMAN[:5] if v != "b" else ROMAN[5:])
    day = f"{d.date.day} {d.date:%B} {d.date.year}"
    notes = ("(Laughter)", "(Laughter.)", "(laughter)", "[Laughter]", "(Pause)")
    lines = ["P R O C E E D I N G S ", " ", f"Session {session}; {day} ", "Begin Tape 1, Side A ", " "]
    tape = 1
    for i, u in enumerate(d.utterances):
        if i:
            lines.append(" ")
        for k, paragraph in enumerate(u.paragraphs):
            body = "  ".join(pieces(rng, paragraph, notes, 0.05))
            wrapped = [line + " " for line in wrap((f"{label(u)}:  " if k == 0 else "") + body, OH_WIDTH)]
            if v == "b" and len(wrapped) >= 2 and rng.random() < 0.3:  # the tape runs out mid-turn
                cut = rng.randint(1, len(wrapped) - 1)
                side = "A" if tape % 2 else "B"
                wrapped[cut:cut] = [f"End Tape {(tape + 1) // 2}, Side {side} ",
                                    f"Begin Tape {(tape + 2) // 2}, Side {'B' if side == 'A' else 'A'} "]
                tape += 1
            lines += wrapped
    lines += [" ", f"End Session {session} ", "PDS "]
    title_page = ["ORAL HISTORY TRANSCRIPT ", " ", " ", f"General {s.full}, ",
                  "U. S. Marine Corps (Retired) ", " ", " ", "  ", " ", "Interviewer ", " ", " ", " ",
                  "HISTORY AND MUSEUMS DIVISION ", "Headquarters, U. S. Marine Corps ", "Washington, D. C. ",
                  " ", f"{d.date.year} ", OH_FOOTER]
    cover = ["MARINE CORPS ORAL HISTORY PROGRAM ", " ", f" Interviewee: General {s.full}, USMC ", "  (Ret.) ",
             " ", " Interviewer: " if v == "b" else " Interviewers: ", " ", f" Date: {day} ", " ",
             " Place: Marine Corps Historical Center, Navy Yard, ", " Washington, D.C. "]
    cover += [" "] * 18 + ["TAPE TRANSCRIPTION ", OH_FOOTER]
    pages = [title_page, cover]
    for start in range(0, len(lines), OH_LINES):
        pages.append([f"{s.last} - {len(pages)} "] + lines[start:start + OH_LINES] + [OH_FOOTER])
    return pages, label


def oral_history(d: Dialogue, v: str) -> Out:
    """An oral-history interview as the Marine Corps History Division publishes it
    (``chapman-usmc-oral-history.pdf``), pages as pypdf extracts them: a title page (``ORAL HISTORY
    TRANSCRIPT``, the narrator, ``HISTORY AND MUSEUMS DIVISION``), a session cover (``Interviewee:
    ...``, ``Interviewers:`` left blank, ``Date:``, ``Place:``, ``TAPE TRANSCRIPTION``), then
    pages opening with the running header ``Okafor - 3 `` and closing with the footer ``Marine
    Corps History Division``; ``P R O C E E D I N G S``, ``Session II; 8 May 2025``, ``Begin Tape
    1, Side A``; turns ``Okafor:  text`` (the narrator by surname, two spaces after the colon),
    lines of about 100 characters each ending in a space, a line of one space between turns;
    ``(Laughter)``, ``[Laughter]``, ``(Pause)`` inside turns; ``End Session II`` and the
    transcriber's ``PDS`` at the end.

    a: sessions I-V: the interviewer is ``Interviewer:``, anyone else by surname; a text file,
       pages separated by form feeds (the brief's "the text its PDF extracts to").
    b: sessions VI-XII: everyone by surname (``Frank:``), a blank ``Interviewer:`` on the cover
       (sessions IV and V), tape changes (``End Tape 1, Side A`` / ``Begin Tape 1, Side B``)
       inside running turns; a text file.
    c: as a, as the PDF itself.
    """
    rng = random.Random(f"oral-history-{d.seed}-{v}")
    pages, label = oral_history_pages(d, v, rng)
    s = d.subject
    aliases = (s.last, s.full, f"General {s.last}", f"{s.title} {s.last}")
    turns = truth_turns(d, label)
    if v == "c":
        return ".pdf", pdf(pages, size=9, top=760, leading=17.5), turns, {}, aliases
    return ".txt", form_feeds(pages), turns, {}, aliases


# -- podcast: BookBytes episode transcripts, as the show publishes them -----------------------

POD_NOTES = ("(laughs)", "(laughing)", "[Overlapping voices]")


def _stamp(t: float) -> str:
    tenths = int(round(t * 10))
    return f"{tenths // 36000}:{tenths % 36000 // 600:02d}:{tenths % 600 / 10:04.1f}"


def podcast(d: Dialogue, v: str) -> Out:
    """A podcast transcript as BookBytes publishes it (``bookbytes-0*.txt``, orbitfm/orbit.fm):
    ``(Intro music: Electro Swing)``, then one paragraph a line, ``0:00:12.6 **Ada Okafor** text``
    (a time, the name in markdown bold, no colon), a blank line between; ``(Typewriter Dings)``
    after the opening; ``(laughs)`` / ``(laughing)`` / ``[Overlapping voices]`` inside turns;
    ``(Exit music: Electro swing)`` at the end.

    a: 010 / 026: a UTF-8 BOM, LF, a turn's paragraphs on one line.
    b: sponsor reads and long answers: a turn's later paragraphs on lines of their own with their
       own time and no name (``0:28:31.0 I work at ...``): further paragraphs of the same turn.
    c: 035: BOM, CRLF line ends, two blank lines between paragraphs, trailing spaces.
    d: group labels (010, 018, 026, 034): ``**All** (laughing)`` (a turn of nothing but a note)
       and ``**Ada Okafor & Ben Ito** Fair enough.``, the group's own turn, never the subject's.
    e: the publisher's slips: no space after the time (``0:45:28.5**Ben Ito** Yeah.``), two spaces
       before or after the name, no space after it, the time's hour cut off (``:00:40.6``), a
       first name with a space inside the bold (``** Ben**``), the opening ``**`` lost
       (``0:08:19.6 Ada Okafor** Yeah.``); 018 and 034 have no BOM.
    """
    rng = random.Random(f"podcast-{d.seed}-{v}")
    s = d.subject

    def name(p: Person) -> str:
        return p.full

    turns: list[TrueTurn] = []
    paragraphs: list[str] = ["(Intro music: Electro Swing)"]

    def opener(u: Utterance) -> tuple[str, str]:
        """The line's start (time, bold name) and the name as written there."""
        stamp, before, after, who = _stamp(u.start), " ", " ", name(u.speaker)
        r = rng.random() if v == "e" else 1.0
        if r < 0.1:
            before = ""
        elif r < 0.2:
            before = "  "
        elif r < 0.3:
            after = "  "
        elif r < 0.4:
            after = ""
        elif r < 0.45 and stamp.startswith("0:"):
            stamp = stamp[1:]
        elif r < 0.55 and u.role == "other":  # 010: "** Jen**", a short name, a space inside
            return f"{stamp} ** {u.speaker.first}**{after}", u.speaker.first
        elif r < 0.6:  # 035: "0:08:19.6 Adam Garrett-Harris** Yeah.", the opening ** lost
            return f"{stamp} {who}**{after}", who
        return f"{stamp}{before}**{who}**{after}", who

    for i, u in enumerate(d.utterances):
        body = [" ".join(pieces(rng, p, POD_NOTES, 0.06)) for p in u.paragraphs]
        if v != "b":
            body = [" ".join(body)]
        start, spoken = opener(u)
        paragraphs.append(start + body[0])
        clock = u.start
        for more in body[1:]:
            clock += (u.end - u.start) / len(body)
            paragraphs.append(f"{_stamp(clock)} {more}")
        if v == "b":  # a paragraph with its own time is its own turn, so its passages cite that
            # second (Sosie's design; the set's gold joins them, records.py accepts either)
            turns += [TrueTurn(spoken, u.role, normalise(para)) for para in u.paragraphs]
        else:
            turns.append(TrueTurn(spoken, u.role, normalise(u.text)))
        if i == 0:
            paragraphs.append("(Typewriter Dings)")
        if v == "d" and rng.random() < 0.35:  # the room answers together
            when = u.end + 0.3
            if rng.random() < 0.5:
                paragraphs.append(f"{_stamp(when)} **{rng.choice(['All', 'ALL'])}** (laughing)")
            else:
                group = [s, *rng.sample(list(d.others), min(len(d.others), rng.randint(1, 2)))]
                rng.shuffle(group)
                names = [name(p) for p in group]
                label = (" & ".join(names) if rng.random() < 0.6 or len(names) < 3
                         else ", ".join(names[:-1]) + ", & " + names[-1])
                said = rng.choice(["Fair enough.", "That makes sense.", "Yes.", "Right."])
                paragraphs.append(f"{_stamp(when)} **{label}** {said}")
                turns.append(TrueTurn(label, "other", said))
    paragraphs.append("(Exit music: Electro swing)")
    if v == "c":  # 035 ends with the exit line and no line end at all
        text = "\r\n\r\n\r\n".join(p + (" " if rng.random() < 0.3 else "") for p in paragraphs[:-1])
        text += "\r\n\r\n\r\n" + paragraphs[-1]
    else:
        text = "\n\n".join(paragraphs) + "\n"
    bom = "" if v == "e" else "\ufeff"
    return ".txt", bom + text, turns, {}, (s.first, s.last)


# -- scraped: FOMC press conferences as a public dataset scraped them -------------------------


def scraped(d: Dialogue, v: str) -> Out:
    """A press conference as VikashMaheshwari/FOMC-Powell-Press-Conference-NLP scraped it
    (``FOMCpresconf2021*.txt`` ... ``2024*.txt``): the whole transcript on ONE line, no newline
    at all, no header; each turn ``<NAME>CHAIR OKAFOR</NAME>. text``, turns separated by one space.

    a: the subject ``CHAIR OKAFOR``, the others by full name in capitals.
    b: the scrape's slips: ``</NAME>: `` (2024-03-20) and ``</NAME> `` (2021-11-03) once, a
       hyphenated surname cut at the hyphen (``<NAME>BEN ITO</NAME>-SMITH. ``), a misspelt tag
       of the same reporter (``BEN IT``; ``MICHELLE SMTH``), ``[Laughter]``; the subject by full
       name in capitals.
    """
    rng = random.Random(f"scraped-{d.seed}-{v}")
    s = d.subject
    hyphenated = d.others[-1] if v == "b" else None
    misspelt = d.others[0] if v == "b" else None
    slips = rng.sample(range(len(d.utterances)), min(2, len(d.utterances))) if v == "b" else []

    def label(u: Utterance) -> str:
        if u.role == "subject":
            return f"CHAIR {s.last.upper()}" if v == "a" else upper(s)
        return upper(u.speaker)

    out = []
    for i, u in enumerate(d.utterances):
        tag = label(u)
        if u.speaker == misspelt and rng.random() < 0.5:
            cut = rng.randrange(len(tag.split()[-1]))
            tag = tag[: len(tag) - len(tag.split()[-1])] + tag.split()[-1][:cut] + tag.split()[-1][cut + 1:]
        after = ". "
        if u.speaker == hyphenated:
            after = f"-{rng.choice(cv.OTHERS).last.upper()}. "
        elif i in slips:
            after = ": " if i == slips[0] else " "
        chance = 0.04 if v == "b" else 0.0
        text = " ".join(" ".join(pieces(rng, p, ("[Laughter]",), chance)) for p in u.paragraphs)
        out.append(f"<NAME>{tag}</NAME>{after}{text}")
    aliases = (s.last, f"Chair {s.last}", s.full, f"Chairman {s.last}", f"CHAIR {s.last.upper()}")
    return ".txt", " ".join(out), truth_turns(d, label), {}, aliases


# -- stt_json: Deepgram and AssemblyAI speech-to-text JSON -----------------------------------

DG_METADATA = {"transaction_key": "deprecated", "request_id": "", "sha256": "", "created": "",
               "duration": 0.0, "channels": 1, "models": ["626940ac-4b66-436c-a319-5015e4018fae"],
               "model_info": {"626940ac-4b66-436c-a319-5015e4018fae": {
                   "name": "2-ea-nova", "version": "2023-09-13.17827", "arch": "nova-2"}}}
AAI_SETTINGS = {  # the settings a completed AssemblyAI transcript echoes after its results
    "punctuate": True, "format_text": True, "dual_channel": False, "webhook_url": None,
    "webhook_status_code": None, "webhook_auth": False, "webhook_auth_header_name": None,
    "speed_boost": False, "auto_highlights_result": None, "auto_highlights": False,
    "audio_start_from": None, "audio_end_at": None, "word_boost": [], "boost_param": None,
    "filter_profanity": False, "redact_pii": False, "redact_pii_audio": False,
    "redact_pii_audio_quality": None, "redact_pii_policies": None, "redact_pii_sub": None,
    "speaker_labels": True, "content_safety": False, "iab_categories": False,
    "content_safety_labels": {"status": "unavailable", "results": [], "summary": {}},
    "iab_categories_result": {"status": "unavailable", "results": [], "summary": {}},
    "language_detection": True, "custom_spelling": None, "throttled": None, "auto_chapters": False,
    "summarization": False, "summary_type": None, "summary_model": None, "custom_topics": False,
    "topics": [], "speech_threshold": None, "disfluencies": False, "sentiment_analysis": False,
    "chapters": None, "sentiment_analysis_results": None, "entity_detection": False, "entities": None,
    "summary": None, "speakers_expected": None,
}


def _uuid(rng: random.Random) -> str:
    h = f"{rng.getrandbits(128):032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def stt_json(d: Dialogue, v: str) -> Out:
    """Speech-to-text JSON as the services return it (``tests/data/real/stt_json``), diarised:

    a: Deepgram nova-2 with ``diarize=true`` and utterances (``dg_speakers.json``): ``metadata``,
       ``results.channels[0].alternatives[0]`` with ``transcript``, ``words`` (``word`` lower
       case and bare, ``punctuated_word``, ``speaker`` an integer, ``speaker_confidence``) and
       ``paragraphs`` (``Speaker 0: ...``), and ``results.utterances`` (``transcript``, seconds,
       integer ``speaker``; a turn cut into several at pauses). The user maps every speaker,
       by the integer Deepgram wrote (``--speaker 1="Ada Okafor"``).
    b: the same words with no utterances (``dg_speakers_no_utterances.json``); the user maps the
       subject only, as the reader shows the label (``Speaker 1``).
    c: AssemblyAI's completed transcript (``assemblyai_utterances.json``): ``text``, ``words``
       and ``utterances`` (letters ``A``, ``B``, milliseconds), then its settings; the subject
       is mapped by letter.
    d: AssemblyAI with ``utterances: null`` (``assemblyai_transcription.json``): only the
       diarised ``words``; everyone mapped by letter.
    """
    rng = random.Random(f"stt-{d.seed}-{v}")
    s = d.subject
    deepgram = v in ("a", "b")
    people = list(d.others)
    people.insert(rng.randint(0, len(people)), s)
    labels = {p: (i if deepgram else "ABCDEFGH"[i]) for i, p in enumerate(people)}

    def words_of(u: Utterance) -> list[tuple[str, float, float]]:
        return cv._words(u.text, u.start, u.end)

    if deepgram:
        all_words, utterances, paragraphs = [], [], []
        for u in d.utterances:
            spoken = []
            for w, start, end in words_of(u):
                spoken.append({"word": re.sub(r"[^\w'-]", "", w.lower()), "start": start, "end": end,
                               "confidence": round(rng.uniform(0.75, 1.0), 7), "speaker": labels[u.speaker],
                               "speaker_confidence": round(rng.uniform(0.3, 0.95), 7), "punctuated_word": w})
            all_words += spoken
            if v == "a":
                k = 0
                for text, start, end in cv._pieces(u, 14, rng):
                    n = len(text.split())
                    utterances.append({"start": start, "end": end,
                                       "confidence": round(rng.uniform(0.8, 1), 7), "channel": 0,
                                       "transcript": text, "words": spoken[k:k + n],
                                       "speaker": labels[u.speaker], "id": _uuid(rng)})
                    k += n
            said = [{"text": t, "start": a, "end": b} for t, a, b in cv._pieces(u, 12, rng)]
            paragraphs.append({"sentences": said, "speaker": labels[u.speaker], "num_words": len(spoken),
                               "start": u.start, "end": u.end})
        transcript = " ".join(normalise(u.text) for u in d.utterances)
        shown = "".join(f"\n\nSpeaker {labels[u.speaker]}: {normalise(u.text)}" for u in d.utterances)[1:]
        metadata = {**DG_METADATA, "request_id": _uuid(rng), "sha256": f"{rng.getrandbits(256):064x}",
                    "created": f"{d.date.isoformat()}T12:59:59.945Z",
                    "duration": round(d.utterances[-1].end + 1, 6)}
        results: dict = {"channels": [{"alternatives": [{"transcript": transcript, "confidence": 0.9904323,
                                                         "words": all_words,
                                                         "paragraphs": {"transcript": shown,
                                                                        "paragraphs": paragraphs}}]}]}
        if v == "a":
            results["utterances"] = utterances
        doc: dict = {"metadata": metadata, "results": results}
    else:
        def ms(t: float) -> int:
            return int(round(t * 1000))

        words, utterances = [], []
        for u in d.utterances:
            spoken = [{"text": w, "start": ms(a), "end": ms(b), "confidence": round(rng.uniform(0.8, 1), 4),
                       "speaker": labels[u.speaker]} for w, a, b in words_of(u)]
            words += spoken
            utterances.append({"confidence": round(rng.uniform(0.85, 0.99), 4), "end": ms(u.end),
                               "speaker": labels[u.speaker], "start": ms(u.start), "text": normalise(u.text),
                               "words": spoken})
        doc = {"id": _uuid(rng), "language_model": "assemblyai_default",
               "acoustic_model": "assemblyai_default", "language_code": "en", "status": "completed",
               "audio_url": f"https://storage.googleapis.com/aai-playground-files-production/{_uuid(rng)}",
               "text": " ".join(normalise(u.text) for u in d.utterances), "words": words,
               "utterances": utterances if v == "c" else None, "confidence": 0.9494,
               "audio_duration": int(d.utterances[-1].end) + 1, **AAI_SETTINGS}
    mapped = {"a": people, "b": [s], "c": [s], "d": people}[v]
    speakers = {(f"Speaker {labels[p]}" if v == "b" else str(labels[p])): p.full for p in mapped}
    turns = truth_turns(d, lambda u: str(labels[u.speaker]))
    return ".json", json.dumps(doc, ensure_ascii=False, indent=2), turns, speakers, (s.first, s.last)


# -- the registry ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Shape:
    """One real set's layout: its renderer, its variants, and the dialogues it is drawn as."""

    number: int  # the truth's convention number (past the 13 of conventions.py)
    name: str  # the set's folder under tests/data/real/
    render: Callable[[Dialogue, str], Out]
    variants: dict[str, str]
    kind: str = "interview"  # the speech it holds: "hearing" for a committee's questions
    modelled_on: tuple[str, ...] = ()


SHAPES: dict[str, Shape] = {s.name: s for s in [
    Shape(101, "briefings", briefing,
          {"a": "Brady Room, MS. X:+NBSP, Q+NBSP run", "b": "second official MR. X:, hard breaks",
           "c": "gaggle, Q: and Q+NBSP", "d": "publisher typos S. X:, QMS. X:, Q–"},
          modelled_on=("psaki-2021-02-08-briefing.md", "psaki-2021-02-23-briefing.md",
                       "psaki-2021-12-02-briefing.md", "psaki-2021-12-09-briefing-deese.md",
                       "psaki-2022-01-11-gaggle.md", "psaki-2022-04-07-briefing.md")),
    Shape(102, "congress", hearing,
          {"a": "House, The Chairman.", "b": "Senate, Chairman X., prepared statement",
           "c": "House, [presiding], [Laughter.]"}, kind="hearing",
          modelled_on=("bernanke-2008-02-27-house.htm", "bernanke-2008-07-15-senate.htm",
                       "bernanke-2009-07-21-house.htm")),
    Shape(103, "court", court,
          {"a": "pdftotext -layout, subject CHIEF JUSTICE", "b": "pdftotext -layout, subject counsel",
           "c": "the PDF, subject counsel"},
          modelled_on=("hhs-v-florida-2012-03-26.txt", "hhs-v-florida-2012-03-27.txt",
                       "hhs-v-florida-2012-03-26.pdf", "hhs-v-florida-2012-03-27.pdf")),
    Shape(104, "fomc", fomc,
          {"a": "the PDF", "b": "its text, form feeds", "c": "press conference call PDF, [Silence]"},
          modelled_on=("FOMCpresconf20190731.pdf", "FOMCpresconf20200315.pdf", "FOMCpresconf20220615.pdf",
                       "FOMCpresconf20240612.pdf", "FOMCpresconf20250319.pdf")),
    Shape(105, "oral_history", oral_history,
          {"a": "text, Interviewer:", "b": "text, surnames, tape changes", "c": "the PDF"},
          modelled_on=("chapman-usmc-oral-history.pdf",)),
    Shape(106, "podcast", podcast,
          {"a": "H:MM:SS.s **Name** text, BOM", "b": "timed paragraphs with no name",
           "c": "CRLF, two blank lines", "d": "group labels", "e": "publisher slips"},
          modelled_on=("bookbytes-010.txt", "bookbytes-018.txt", "bookbytes-026.txt", "bookbytes-034.txt",
                       "bookbytes-035.txt")),
    Shape(107, "scraped", scraped, {"a": "<NAME>CHAIR X</NAME>. one line", "b": "tag slips"},
          modelled_on=("FOMCpresconf20210616.txt", "FOMCpresconf20211103.txt", "FOMCpresconf20240320.txt")),
    Shape(108, "stt_json", stt_json,
          {"a": "Deepgram words + utterances", "b": "Deepgram words only", "c": "AssemblyAI utterances",
           "d": "AssemblyAI words only (utterances null)"},
          modelled_on=("dg_speakers.json", "dg_speakers_no_utterances.json", "assemblyai_utterances.json",
                       "assemblyai_transcription.json")),
]}
CASES = [(name, v) for name, shape in SHAPES.items() for v in shape.variants]

for _shape in SHAPES.values():  # so that conventions.mismatch() names a real shape in its message
    cv.MORE_CONVENTIONS[_shape.number] = cv.Convention(
        _shape.number, f"real {_shape.name}", lambda d, v, s=_shape: s.render(d, v)[:4], _shape.variants)


def render(d: Dialogue, shape: str, variant: str) -> Rendered:
    """``d`` written in real set ``shape``'s layout, ``variant``, with its truth."""
    found = SHAPES[shape]
    suffix, content, turns, speakers, aliases = found.render(d, variant)
    data = content.encode("utf-8") if isinstance(content, str) else content
    slug = f"{shape.replace('_', '-')}-{variant}-{d.subject.last.lower()}-{d.seed % 10000:04d}"
    name = f"{d.date.isoformat()}-{slug}{suffix}"
    return Rendered(name, data, Truth(found.number, variant, d.subject.full, speakers, turns, aliases))
