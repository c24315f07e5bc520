"""The grammar of speaker labels, as transcripts in the wild write them.

Every convention here was seen in files people really get: transcription services' exports,
subtitle editors, congressional records, depositions, news and screenplay transcripts,
Markdown notes of talks. A *candidate* is a line that looks like it starts a speaker's turn;
:mod:`sosie.corpus.speakers` decides which candidates are real from the whole file.

>>> m = candidate_at("[00:01:23] **Maya Chen:** Why bread?")
>>> (m.name, m.stamp, m.form, m.rest)
('Maya Chen', '00:01:23', 'inline', 'Why bread?')
>>> candidate_at("Maya Chen  0:05").form, candidate_at("Maya Chen  0:05").stamp
('alone', '00:00:05')
>>> candidate_at("Senator JONES. Thank you, Mr. Chairman.").name
'Senator JONES'
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

TS = r"\d{1,2}:\d{2}(?::\d{2})?(?:[.,]\d{1,3})?"
STAMP = rf"(?:\[{TS}\]|\({TS}\)|{TS})"
EM = r"(?:\*\*|__|\*|_)?"  # Markdown emphasis around a label
UPPER = "A-ZÀ-ÖØ-Þ"
PARTICLE = r"(?:de|da|di|del|della|van|von|der|den|la|le|du|bin|ibn|al|el|ter|ten|y|of)"
WORD = rf"[{UPPER}][\w.'’\-]*"
# "Maya Chen", "ROWAN ADLER", "Charles de Gaulle", "SPEAKER_00", "Speaker 2", "Dr. Lee"
NAME = rf"(?:{WORD}(?:[ ](?:{PARTICLE}[ ])*{WORD}){{0,3}}(?:[ ]\d{{1,2}})?)"

INLINE_OR_ALONE = re.compile(
    rf"""^[ \t]*(?:>[ \t]*)?
    {EM}(?:(?P<pre>{STAMP}){EM}(?:[ \t]+|(?=[*_])){EM})?    # a timestamp before the label
    (?:\[(?P<bracketed>{NAME})\]|(?P<name>{NAME}))
    {EM}(?:[ \t]*(?P<post>{STAMP}))?{EM}                     # a timestamp after it
    (?:(?P<colon>[ \t]*:{EM})(?:[ \t]+|$)|(?P<space>[ \t]+|(?<=\*\*)(?=\S))|[ \t]*$)""",
    re.X,
)
HONORIFIC = (
    r"(?:Mr|Mrs|Ms|Miss|Mx|Dr|Prof|Professor|Senator|Sen|Representative|Rep|Congressman|"
    r"Congresswoman|Secretary|Ambassador|General|Gen|Admiral|Adm|Judge|Justice|Governor|Gov|"
    r"Chairman|Chairwoman|Chair|Mayor|Commissioner|Director|Dean|President|Sir|Dame|Lord|Lady|"
    r"Minister|Speaker|Delegate|Baroness|Baron|Earl)"
)
# US congressional record and Hansard: "Senator JONES.", "The CHAIRMAN.", "Mr. SMITH of Ohio."
CONGRESS = re.compile(
    rf"^[ \t]*(?P<name>(?:{HONORIFIC}\.?|The)[ \t]+(?:[{UPPER}][a-z]+[ \t]+)?[{UPPER}][{UPPER}'’\-]+"
    rf"(?:[ \t]+[{UPPER}][{UPPER}'’\-]+)*(?:[ \t]+of[ \t]+[{UPPER}][a-z]+(?:[ \t]+[{UPPER}][a-z]+)?)?)"
    r"\.[ \t]+(?=\S)"
)
# the Government Publishing Office's hearings: "    The Chairman. ", "    Mr. Bernanke. ",
# "    Senator Carper [presiding]. ", "    Mr. Miller of North Carolina. "
RECORD = re.compile(
    rf"^[ \t]*(?P<name>(?:{HONORIFIC}\.?|The)[ \t]+(?:[{UPPER}][a-z]+[ \t]+){{0,2}}[{UPPER}][\w'’\-]+"
    rf"(?:[ \t]+of[ \t]+[{UPPER}][a-z]+(?:[ \t]+[{UPPER}][a-z]+)?)?)(?:[ \t]+\[presiding\])?\.[ \t]+"
    r"(?:\[presiding\][ \t]+)?(?=\S)"
)
DEPOSITION = re.compile(r"^[ \t]*(?P<name>Q|A)\.[ \t]+(?=\S)")
# a time of day on its own line: "1:44 P.M. EDT" opens and closes a briefing; not a recording's clock
CLOCK_LINE = re.compile(r"^[ \t]*\(?\d{1,2}:\d{2}(?::\d{2})?[ \t]*[AaPp]\.?[ \t]?[Mm]\.?"
                        r"(?:[ \t]+[A-Z]{2,4})?\)?[ \t]*$")
# a line that is only a stage note: "(Typewriter Dings)", "[Applause]", "(Intro music: Electro Swing)"
STAGE_LINE = re.compile(r"^[ \t]*(?:\([^()\n]{1,80}\)|\[[^\[\]\n]{1,80}\])[ \t]*$")
STAMP_LINE = re.compile(rf"^[ \t]*{EM}(?P<stamp>{STAMP}){EM}[ \t]*$")
LEADING_STAMP = re.compile(rf"^[ \t]*(?P<stamp>\[{TS}\]|\({TS}\)|(?P<bare>{TS}))[ \t]+")
HEADING = re.compile(r"^[ \t]*#{1,6}[ \t]+(?P<title>.*?)[ \t#]*$")
# "STATEMENT OF ADA OKAFOR, CEO" or "EXAMINATION" in a record, "INT. STUDIO - DAY" in a script
CAPS_TITLE = re.compile(rf"^[ \t]*[{UPPER}][^a-zß-ÿ]*[{UPPER}][^a-zß-ÿ]*$")
# where a record's spoken part ends: a court's "(Whereupon, at 11:41 a.m., the case ... was
# submitted.)", a hearing's "[Whereupon, at 12:10 p.m., the hearing was adjourned.]", a briefing's
# "END 1:14 P.M. EST"; what follows (a word index, appendices) is nobody's speech
END_MARK = re.compile(r"[ \t]*(?:[(\[]Whereupon\b[^)\]]{0,300}?\b(?:submitted|adjourned|concluded|recessed "
                      r"subject to the call)\b|END(?:[ \t]+\d{1,2}:\d{2}\b.*)?[ \t]*$)", re.S)
MARKUP = re.compile(r"^[ \t]*(?:```.*|~~~.*|(?:-{3,}|\*{3,}|_{3,})[ \t]*)$")

# words that start lines like "Note: ..." in prose: never speaker labels
NOT_SPEAKERS = {
    "note", "notes", "nb", "ps", "date", "title", "source", "url", "link", "update", "edit",
    "summary", "warning", "tip", "example", "examples", "step", "see", "location", "venue",
    "recorded", "published", "duration", "tags", "keywords", "transcript", "speakers",
    "participants", "event", "re", "subject", "to", "from", "cc", "status", "part", "chapter",
    "section", "figure", "table", "caution", "important", "thanks", "edited", "end",
}
# stage notes and time lines of real records: "(Laughter.)", "[inaudible]", "1:44 P.M. EDT", "END"
STAGE_NOTES = {
    "laughter", "laughs", "applause", "inaudible", "crosstalk", "music", "silence", "pause",
    "recess", "unintelligible", "indiscernible", "background", "noise", "off mic", "cough",
    "end", "break", "intermission", "sic", "cheers", "chuckles", "overlapping",
}
CLOCK_WORDS = {
    "am", "pm", "a.m", "p.m", "a.m.", "p.m.", "noon", "edt", "est", "et", "cdt", "cst", "ct", "mdt",
    "mst", "pdt", "pst", "pt", "utc", "gmt", "bst", "cet", "cest", "z",
}
# words of section titles that are not names ("## Live Demo - Product Launch")
TITLE_WORDS = {
    "the", "a", "an", "and", "part", "chapter", "section", "introduction", "intro", "conclusion",
    "summary", "overview", "demo", "live", "next", "steps", "closing", "opening", "remarks",
    "questions", "answers", "q&a", "notes", "update", "day", "session", "keynote", "panel",
    "discussion", "appendix", "welcome", "agenda", "launch", "product", "roadmap", "wrap",
    "recap", "break", "lunch", "thanks", "acknowledgements", "references", "background",
    "announcements", "highlights", "preview", "results", "future", "vision", "today", "news",
}


def clock(stamp: str) -> str:
    """``"0:05"`` -> ``"00:00:05"``, ``"1:02:03.5"`` -> ``"01:02:03"`` (two parts are mm:ss)."""
    parts = [int(p) for p in re.split(r"[.,]", stamp.strip("[]() "))[0].split(":")]
    h, m, s = ([0] * (3 - len(parts)) + parts)[-3:]
    return f"{h:02d}:{m:02d}:{s:02d}"


def seconds(locator: str) -> int | None:
    found = re.fullmatch(r"(\d+):(\d{2}):(\d{2})", locator or "")
    return int(found[1]) * 3600 + int(found[2]) * 60 + int(found[3]) if found else None


@dataclass
class Candidate:
    """A line that may start a turn: who, when, in which form, and the text after the label."""

    name: str
    form: str  # "inline" (label: text), "alone" (label on its own line), "congress", "deposition"
    stamp: str | None
    colon: bool
    rest: str  # the text after the label on the same line
    rest_offset: int  # where ``rest`` starts, relative to the line
    styled: bool = False  # in Markdown emphasis or brackets: "**Ben:**", "[Ben]"
    # a label without a colon that only a recurring pattern makes a label: "0:00:12.6 **Ben** text"
    weak: bool = False
    indent: int = 0  # a record indents its labels alike; "Chairman Bernanke. At..." flush left is text
    gap: int = 0  # spaces after a bare "Q" (a dash counts as two): "Q    And..." is a reporter


def _shape_ok(name: str) -> bool:
    if name.endswith((".", "'", "’", "-")):
        return False
    words = name.lower().split()
    # "1:44 PM EDT" is a time line, "[Laughter]" a stage note: never a speaker
    return not (all(w in CLOCK_WORDS for w in words) or " ".join(words) in STAGE_NOTES)


# the White House's reporters: a bare "Q" and a run of spaces (often non-breaking) before the text
BARE_QA = re.compile(r"^[ \t]*(?P<name>Q|A)(?:(?P<gap>[ \t]+)|[–—][ \t]*)(?=\S)")
# "<NAME>CHAIR POWELL</NAME>. Thank you." as a scraper kept the publisher's markup
TAGGED = re.compile(r"^[ \t]*<(?P<tag>[A-Za-z][\w-]{0,20})>[ \t]*(?P<name>[^<>\n]{1,60}?)[ \t]*</(?P=tag)>"
                    r"(?P<suffix>-[A-Z][\w'’\-]*)?[ \t]*(?P<colon>[.:])?[ \t]*")
# the Federal Reserve's transcripts: "CHAIR POWELL. Good afternoon.", "STEVE LIESMAN. Thanks."
CAPS_PERIOD = re.compile(
    rf"^[ \t]*(?P<name>[{UPPER}][{UPPER}'’\-]+\.?(?:[ \t]+[{UPPER}][{UPPER}'’\-]+){{1,3}})\.[ \t]+(?=\S)"
)


def _caps_name(name: str) -> bool:
    """"STEVE LIESMAN" is a name; "BY MR" (of "BY MR. ITO:") and "U.S" are not."""
    words = [w.rstrip(".").lower() for w in name.split()]
    return words[0] != "by" and words[-1] not in ABBREVIATIONS and all(len(w) > 1 for w in words)


ABBREVIATIONS = {"mr", "ms", "mrs", "dr", "st", "jr", "sr", "u.s", "u.k", "no", "vs", "v"}


def _may_be_label(line: str) -> bool:
    """A cheap test before the regular expressions: most lines of prose cannot be labels."""
    head = line[:100]
    return (":" in head or len(line) <= 80 or ". " in head[:60] or head.lstrip()[:1] in ("Q", "A", "<"))


def candidate_at(line: str) -> Candidate | None:
    """The label this line starts with, if it has the shape of one."""
    if not _may_be_label(line):
        return None
    stripped = line.lstrip()
    if stripped[:1] == "<":
        return _tagged(line)
    if stripped[:1] in ("Q", "A") and (bare := BARE_QA.match(line)) is not None:
        if bare["name"] == "Q" or len(bare["gap"] or "") >= 2:  # "A lot of..." is prose; "A   Yes." is not
            return Candidate(bare["name"], "bare", None, False, line[bare.end():], bare.end(), weak=True,
                             gap=len(bare["gap"]) if bare["gap"] else 2)
    if ". " in line[:80]:
        found = CONGRESS.match(line)
        if found:
            return Candidate(" ".join(found["name"].split()), "congress", None, False,
                             line[found.end():], found.end())
        found = RECORD.match(line)
        if found and found["name"].split()[-1].lower() not in ABBREVIATIONS:
            return Candidate(" ".join(found["name"].split()), "record", None, False, line[found.end():],
                             found.end(), indent=len(line) - len(line.lstrip()))
        if stripped[:2] in ("Q.", "A."):
            found = DEPOSITION.match(line)
            if found:
                return Candidate(found["name"], "deposition", None, False, line[found.end():], found.end())
        found = CAPS_PERIOD.match(line)
        if found and _shape_ok(found["name"]) and _caps_name(found["name"]):
            return Candidate(" ".join(found["name"].split()), "caps", None, False, line[found.end():],
                             found.end())
    found = INLINE_OR_ALONE.match(line)
    if not found:
        return _stamp_bold(line)
    name = found["bracketed"] or found["name"]
    stamp = found["pre"] or found["post"]
    rest = line[found.end():].strip()
    if not _shape_ok(name) or name.lower() in NOT_SPEAKERS:
        return None
    tail = line[found.end():]
    head = line[: found.end()]
    styled = bool(found["bracketed"]) or "**" in head or "__" in head
    # "Maya said ..." is prose; "[Maya] text" is a label, and so is "0:00:12.6 **Maya Chen** text"
    # where the file repeats that shape with other names
    weak = found["space"] is not None and not found["bracketed"]
    if weak and not (styled and stamp and head.rstrip().endswith(("**", "__"))):
        return _stamp_bold(line)  # "0:00:46.8 **Ben Ito & Ada Okafor** ...": a group, in bold
    return Candidate(name, "inline" if rest else "alone", clock(stamp) if stamp else None,
                     bool(found["colon"]), rest, found.end() + len(tail) - len(tail.lstrip()), styled, weak)


# a podcast's "0:50:50.1 **Safia Abdalla, Jen Luker, & Jason Staten** [overlapping]" (a cut-off
# ":00:40.6" too): a bold group of names after a time, no colon
STAMP_BOLD = re.compile(
    rf"^[ \t]*(?P<pre>:?{TS})[ \t]*\*\*[ \t]*(?P<name>[{UPPER}][^*\n]{{0,80}}?)[ \t]*\*\*[ \t]*")


def _stamp_bold(line: str) -> Candidate | None:
    found = STAMP_BOLD.match(line)
    if not found or not all(part.strip()[:1].isupper() for part in re.split(r",|&| and ", found["name"])
                            if part.strip()):
        return None
    stamp = clock(found["pre"].lstrip(":"))
    rest = line[found.end():]
    return Candidate(found["name"], "inline" if rest.strip() else "alone", stamp, False, rest, found.end(),
                     True, True)


def _tagged(line: str) -> Candidate | None:
    found = TAGGED.match(line)
    if not found:
        return None
    # "<NAME>NANCY MARSHALL</NAME>-GENZER." : the scraper cut a hyphenated surname at the tag
    name = " ".join(found["name"].strip(" *_").split()) + (found["suffix"] or "")
    if not name or not re.match(rf"[{UPPER}]", name) or len(name.split()) > 6 or not _shape_ok(name):
        return None
    return Candidate(name, "tag", None, found["colon"] == ":", line[found.end():], found.end(), True)


NOT_LETTERS = re.compile(r"[^A-Za-zÀ-ÿ]")
MACHINE_LABEL = re.compile(r"(?i)speaker[ _]?(?:\d+|[A-Z])")


@lru_cache(maxsize=4096)
def is_caps(name: str) -> bool:
    letters = NOT_LETTERS.sub("", name)
    return len(letters) >= 2 and letters.isupper()


def is_machine_label(name: str) -> bool:
    """Diarisation output: SPEAKER_00, Speaker 1, Speaker A."""
    return MACHINE_LABEL.fullmatch(name) is not None


@lru_cache(maxsize=4096)
def name_like(text: str, allow_single: bool = False) -> bool:
    """Does a heading fragment look like a person's name ("Ada Okafor", "Charles de Gaulle")?"""
    words = text.split()
    if not words or len(words) > 4 or (len(words) == 1 and not allow_single):
        return False
    if any(ch.isdigit() for ch in text):
        return False
    capitalised = [w for w in words if not re.fullmatch(PARTICLE, w)]
    if not capitalised or len(capitalised) < min(2, len(words)):
        return False
    return all(re.fullmatch(rf"[{UPPER}][\w'’\-]*\.?", w) and w.lower().rstrip(".") not in TITLE_WORDS
               for w in capitalised)


def heading_names(title: str) -> list[str]:
    """Fragments of a section title that may name its presenter, most likely first:
    ``"Live demo - Maya Chen"``, ``"Maya Chen: the new tools"``, ``"Maya Chen, CTO"``."""
    clean = re.sub(r"[*_`]", "", title).strip()
    found = []
    dash = re.split(r"[ \t]+[-–—|][ \t]+", clean)
    if len(dash) >= 2:
        found += [dash[-1].strip(), dash[0].strip()]
    for sep in (":", ","):
        if sep in clean:
            found.append(clean.split(sep, 1)[0].strip())
    paren = re.search(r"\(([^)]+)\)\s*$", clean)
    if paren:
        found.append(paren.group(1).strip())
    found.append(clean)
    return [f for f in dict.fromkeys(found) if f]


def moment_link(origin: str | None, locator: str | None) -> str | None:
    """A link to the cited moment of a video page, where the site takes a start time.

    >>> moment_link("https://www.youtube.com/watch?v=abc", "00:31:45")
    'https://www.youtube.com/watch?v=abc&t=1905s'
    >>> moment_link("https://vimeo.com/123", "00:00:07-00:00:20")
    'https://vimeo.com/123#t=7s'
    """
    from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

    if not origin or not locator or not re.match(r"https?://", str(origin)):
        return None
    start = seconds(locator.split("-")[0])
    if start is None:
        return None
    url = urlsplit(str(origin))
    host = url.hostname or ""
    query = [(k, v) for k, v in parse_qsl(url.query) if k not in ("t", "start")]
    if host.endswith(("youtube.com", "youtu.be")):
        return urlunsplit(url._replace(query=urlencode([*query, ("t", f"{start}s")]), fragment=""))
    if host.endswith("vimeo.com"):
        return urlunsplit(url._replace(fragment=f"t={start}s"))
    if host.endswith("dailymotion.com"):
        return urlunsplit(url._replace(query=urlencode([*query, ("start", str(start))])))
    return None
