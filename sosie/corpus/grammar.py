"""Which candidate labels of a file really start turns: the file's speaker grammar, judged whole.

:mod:`sosie.corpus.labels` says what *may* be a label, line by line. Real records mix shapes in
one file (a White House briefing has ``MS. PSAKI:`` beside a bare ``Q``), put labels inline
(a scraped press conference is one line of ``<NAME>CHAIR POWELL</NAME>. text``), and print
bold names with no colon after a timestamp. Here the whole file decides: how often each name
recurs, how many different names there are, whether the subject is among them, and which shapes
hold up. :func:`segments` cuts the text where a turn can start; :func:`accepted` keeps the
candidates that are labels; :func:`refuse_if_ambiguous` stops a file that names several people
in label positions without a pattern from being read as a monologue.
"""

from __future__ import annotations

import re
from collections import Counter

from sosie.corpus.labels import STAMP_LINE, TS, Candidate, is_caps, is_machine_label, name_like
from sosie.corpus.names import Cast, normalise_name
from sosie.corpus.readers import SourceText
from sosie.errors import BadSource

FIX = "say who is who with --speaker 'LABEL=Name' (repeatable) or read it as one voice with --single-speaker"


def lines_of(text: str, start: int, pattern: re.Pattern[str] | None = None) -> list[tuple[int, int]]:
    """The file's lines, and inside a long line (a scraped record may have no newline at all)
    the places where an inline label starts another turn (with ``pattern``, wherever it matches)."""
    spans, cursor = [], start
    while cursor < len(text):
        newline = text.find("\n", cursor)
        end = len(text) if newline < 0 else newline
        # a CRLF file's "\r" is not part of the line: "(Typewriter Dings)\r" is a stage line
        spans.append((cursor, end - 1 if end > cursor and text[end - 1] == "\r" else end))
        cursor = end + 1
    if not any(e - s > LONG_LINE for s, e in spans):
        return spans
    long_lines = [(s, e) for s, e in spans if e - s > LONG_LINE]
    if pattern is not None:
        cuts = [m.start() for s, e in long_lines for m in pattern.finditer(text, s, e) if m.end() > m.start()]
    else:
        cuts = _inline_cuts(text, long_lines)
    if not cuts:
        return spans
    out = []
    for s, e in spans:
        inside = [c for c in cuts if s < c < e]
        for a, b in zip([s, *inside], [*inside, e], strict=True):
            out.append((a, b))
    return out


LONG_LINE = 400
TAG_OPEN = re.compile(r"<([A-Za-z][\w-]{0,20})>")
# after a sentence ends, where a scrape joined the lines: "**Ben Ito**", "0:00:12.6 **Ben Ito**",
# "CHAIR POWELL. ", "MS. PSAKI: ", "Mr. Bernanke. ", "The Chairman. ", "Ben Ito: ", a bare "Q" and
# the run of spaces a briefing puts after it
_CAPS_WORD = r"(?:[A-Z][A-Z'’\-]+|M[RS]S?\.|DR\.)"
_RECORD = (r"(?:(?:Mr|Mrs|Ms|Dr|Senator|Chairman|Chairwoman|Representative|Secretary)\.?|The)[ \t]"
           r"[A-Z][\w'’\-]+(?:[ \t]of[ \t][A-Z][a-z]+(?:[ \t][A-Z][a-z]+)?)?(?:[ \t]\[presiding\])?\.")
# ...and after a sentence broken off by the next speaker ("Let me see if I can unpack — Q    Yeah.")
_TURN_END = r"(?:[.?!…][\"”’)\]]?|[—–]|--)[ \t]+"
INLINE_LABEL = re.compile(
    rf"{_TURN_END}(?P<label>\*\*[^*\n]{{2,60}}\*\*"
    rf"|{_CAPS_WORD}(?:[ \t][A-Z][A-Z.'’\-]+){{1,3}}[.:]|{_RECORD}|Q(?=[ \t]{{2,}}|[–—])"
    r"|[A-Z][\w'’\-]+(?:[ \t][A-Z][\w.'’\-]+){0,3}:)(?=[ \t]|(?<=Q)[–—])"
    # a time then a bold name, or a CAPS name and a colon: labels wherever they stand
    rf"|(?<=[ \t])(?P<strong>:?{TS}[ \t]*\*\*[^*\n]{{2,60}}\*\*"
    rf"|{_CAPS_WORD}(?:[ \t][A-Z][A-Z.'’\-]+){{1,3}}:)(?=[ \t])")


# a briefing's closing "3:19 P.M. EDT" joined onto its last answer: nobody's words
INLINE_CLOCK = re.compile(r"[.?!…][ \t]+(?P<clock>\d{1,2}:\d{2}[ \t]*[AaPp]\.?[ \t]?[Mm]\.?"
                          r"(?:[ \t]+[A-Z]{2,4})?)(?=[ \t]*$|[ \t]+(?:[A-Z][A-Z]|Q[ \t]))", re.M)


# "(Whereupon, at 11:41 a.m., the case in the above-entitled matter was submitted.)" mid-line
INLINE_END = re.compile(r"[(\[]Whereupon\b")


def _inline_cuts(text: str, long_lines: list[tuple[int, int]]) -> list[int]:
    """Offsets where an inline label starts a turn, kept only when the file repeats the pattern:
    a tag that recurs with at least two different contents, or at least two different labels
    that each recur. One "FBI:" in an essay's paragraph cuts nothing."""
    cuts: list[tuple[int, str]] = []
    tags = {tag for tag, n in Counter(re.findall(r"</([A-Za-z][\w-]{0,20})>", text)).items() if n >= 2}
    tagged: list[tuple[int, str]] = []
    strong: list[tuple[int, str]] = []
    for s, e in long_lines:
        for m in TAG_OPEN.finditer(text, s, e):
            if m.group(1) in tags:
                end = text.find("</", m.end(), m.end() + 80)
                tagged.append((m.start(), text[m.end():end] if end > 0 else ""))
        for m in INLINE_LABEL.finditer(text, s, e):
            where = "label" if m.group("label") else "strong"
            name = re.sub(rf"^:?{TS}[ \t]*", "", m.group(where)).strip("*:. ")
            cuts.append((m.start(where), name))
            if where == "strong":
                strong.append((m.start(where), name))
    labels = Counter(name for _, name in cuts)
    recurring = {name for name, n in labels.items() if n >= 2 and name}
    found = {at for at, name in cuts if name in recurring} if len(recurring) >= 2 else set()
    if len(recurring) >= 2 and len(strong) >= 3:  # the strong shape holds: its one-off names too
        found |= {at for at, _ in strong}
    if len({name for _, name in tagged if name}) >= 2:  # a tag around different names: every one
        found |= {at for at, _ in tagged}
    if found:  # a time of day between turns and the record's end become lines of their own
        found |= {m.start("clock") for s, e in long_lines for m in INLINE_CLOCK.finditer(text, s, e)}
        found |= {m.start() for s, e in long_lines for m in INLINE_END.finditer(text, s, e)}
    return sorted(found)


def accepted(found: dict[int, Candidate], lines: list[tuple[int, int]], text: str,
              cast: Cast) -> dict[int, Candidate]:
    """Keep the candidates that really start turns, judged on the whole file."""
    counts = Counter(normalise_name(c.name) for c in found.values())
    congress = sum(c.form == "congress" for c in found.values())
    deposition = {c.name for c in found.values() if c.form == "deposition"}

    def next_is_text(i: int) -> bool:
        for j in range(i + 1, min(i + 4, len(lines))):
            line = text[lines[j][0]:lines[j][1]]
            if line.strip():
                return j not in found and not STAMP_LINE.match(line)
        return False

    def real(i: int, c: Candidate) -> bool:
        key = normalise_name(c.name)
        if c.form == "congress":
            return congress >= 2 or cast.known(c.name)
        if c.form == "deposition":
            return deposition == {"Q", "A"}
        if c.form == "alone":
            if not next_is_text(i):
                return False
            if not (c.colon or c.stamp or is_caps(c.name) or cast.known(c.name)):
                return False  # a plain capitalised line is a title, not a speaker
            return cast.known(c.name) or bool(c.stamp) or counts[key] >= 2
        return (cast.known(c.name) or is_caps(c.name) or bool(c.stamp) or counts[key] >= 2
                or is_machine_label(c.name))

    old_forms = {i: c for i, c in found.items() if c.form not in NEW_FORMS and not c.weak}
    accepted = {i: c for i, c in old_forms.items() if real(i, c)}
    accepted.update(established(found, accepted, counts, cast))
    styles = Counter((c.form, c.styled, is_caps(c.name)) for c in accepted.values())
    alone_colon = any(c.form == "alone" and c.colon for c in accepted.values())

    def signature(i: int, c: Candidate) -> tuple:
        """A label's exact shape: form, colon, style, case, one word or several, and the run of
        spaces after it ("Okafor:  text" in an oral history has two)."""
        head = text[lines[i][0]:lines[i][0] + c.rest_offset]
        return (c.form, c.colon, c.styled, is_caps(c.name), len(c.name.split()) == 1,
                len(head) - len(head.rstrip()))

    shapes = {signature(i, c) for i, c in accepted.items()}

    def one_off(i: int, c: Candidate) -> bool:
        """A label seen once, in the shape the file's other labels have: a speaker too."""
        if c.form == "inline" and c.colon:
            return (name_like(c.name) or (c.styled and styles[("inline", True, is_caps(c.name))] > 0)
                    # "Interviewer:  How long..." once, where every label is "Surname:  "
                    or (len(c.name.split()) == 1 and signature(i, c) in shapes))
        if c.form != "alone" or not next_is_text(i):
            return False
        if is_caps(c.name) and styles[("alone", c.styled, True)] > 0:  # MAYA CHEN on its line
            return True
        # "Maya Chen:" on its line, where the file's other labels stand alone with a colon too
        return c.colon and name_like(c.name) and alone_colon

    everything = {**accepted, **{i: c for i, c in found.items() if i not in accepted and one_off(i, c)}}
    distinct = {normalise_name(c.name) for c in everything.values()}
    has_subject = any(cast.who(c.name)[1] == "subject" for c in accepted.values())
    # two labels that each hold up alone, or the subject's label and somebody else's
    if len(everything) < 2 or len(distinct) < 2 and not has_subject:
        return {}
    if len(accepted) < 2 and not has_subject:
        return {}
    return _without_cover_lines(dict(sorted(everything.items())))


def _without_cover_lines(labels: dict[int, Candidate]) -> dict[int, Candidate]:
    """A printed record's cover ("SECOND SESSION" above its text) is not a speaker: a CAPS line
    standing alone before the first label of the file's other form, whose name never stands as
    a label after it, is front matter."""
    forms = Counter(c.form for c in labels.values() if c.form != "alone")
    if not forms or forms.most_common(1)[0][1] < 2:
        return labels
    main = forms.most_common(1)[0][0]
    first = min(i for i, c in labels.items() if c.form == main)
    later = {normalise_name(c.name) for i, c in labels.items() if i > first}
    return {i: c for i, c in labels.items()
            if not (i < first and c.form == "alone" and not c.colon and normalise_name(c.name) not in later)}


NEW_FORMS = ("caps", "tag", "bare", "record")


def established(found: dict[int, Candidate], accepted: dict[int, Candidate], counts: Counter,
                 cast: Cast) -> dict[int, Candidate]:
    """Labels that only a file-wide pattern makes labels: ``CHAIR POWELL.``, ``<NAME>X</NAME>.``,
    ``0:00:12.6 **Ben Ito** text`` and a bare ``Q``. Each shape counts when at least two different
    names recur in it (or the subject and somebody else do); a bare ``Q`` when the file has other
    labels, and a bare ``A`` only beside a bare ``Q``."""
    out: dict[int, Candidate] = {}
    for shape in ("caps", "tag", "record", "weak"):
        mine = {i: c for i, c in found.items() if (c.weak and c.form != "bare") == (shape == "weak")
                and (shape == "weak" or c.form == shape)}
        if shape != "tag" and len(accepted) > len(mine):
            continue  # "Mr. Chief Justice. The question..." inside a NAME: record is its text
        indents = Counter(c.indent for c in mine.values()).most_common(1)
        if shape == "record" and indents and indents[0][0] and indents[0][1] >= 0.9 * len(mine):
            mine = {i: c for i, c in mine.items() if c.indent == indents[0][0]}
        recurring = {normalise_name(c.name) for c in mine.values()
                     if counts[normalise_name(c.name)] >= 2 or cast.known(c.name)}
        subject = any(cast.who(c.name)[1] == "subject" for c in mine.values())
        if len(recurring) >= 2 or (subject and len({normalise_name(c.name) for c in mine.values()}) >= 2):
            # the shape holds up, so a reporter who asks once is a speaker too
            out.update(mine)
    others = {**accepted, **out}
    bare = {i: c for i, c in found.items() if c.form == "bare"}
    if others and counts["q"] >= 2:
        out.update({i: c for i, c in bare.items() if c.name == "Q"})
    elif others:  # one reporter's "Q" and its run of (non-breaking) spaces, or "Q–": a label too
        out.update({i: c for i, c in bare.items() if c.name == "Q" and c.gap >= 2})
        if counts["a"] >= 2:
            out.update({i: c for i, c in bare.items() if c.name == "A"})
    return out


def convention(accepted: dict[int, Candidate], by_heading: bool) -> str:
    def key(c: Candidate) -> str:
        if c.form in ("congress", "deposition"):
            return {"congress": "record (Mr. SMITH.)", "deposition": "deposition (Q./A.)"}[c.form]
        if c.form == "alone":
            return "label line + time" if c.stamp else ("CAPS name line" if not c.colon else "label line")
        return "NAME (time): text" if c.stamp else "NAME: text"

    common = Counter(key(c) for c in accepted.values()).most_common(1)
    parts = [common[0][0]] if common else []
    if by_heading:
        parts.append("section headers")
    return " + ".join(parts) or "monologue"


# below this, a file's labels are too thin or too erratic to trust: it is refused with what was seen
WEAK = 0.35


def judge(accepted: dict[int, Candidate], cast: Cast) -> tuple[float, str]:
    """How sure the reader is of a file's labels, 0-1, and the evidence in words.

    Real records score 0.8-1.0 (tests/real): labels recur, speakers take turns, the subject is
    among them. A score falls with labels that appear once (a reporter asking once is fine beside
    a chair who recurs; ten one-off names are not), with runs of one speaker's label, and with
    very few labels at all.

    >>> from sosie.corpus.names import Subject
    >>> ada = Cast(Subject("Ada Okafor"), None)
    >>> labels = {i: Candidate(n, "inline", None, True, "", 0) for i, n in enumerate(["Q", "Ada Okafor"] * 3)}
    >>> judge(labels, ada)
    (0.93, '6 labels of 2 speakers, 100% of them recurring, 100% change speaker')
    >>> judge({1: Candidate("Ada Okafor", "inline", None, True, "", 0),
    ...        2: Candidate("Ben Ito", "inline", None, True, "", 0)}, ada)[0]  # nobody comes back
    0.22
    """
    names = [normalise_name(c.name) for c in accepted.values()]
    if not names:
        return 1.0, "no speaker labels"
    counts = Counter(names)
    # a label that names the subject (or a person the user named) needs no recurrence to count
    known = {normalise_name(c.name) for c in accepted.values() if cast.known(c.name)}
    recurring = sum(n for name, n in counts.items() if n >= 2 or name in known) / len(names)
    switches = sum(a != b for a, b in zip(names, names[1:], strict=False)) / max(1, len(names) - 1)
    subject = any(cast.who(c.name)[1] == "subject" for c in accepted.values())
    # a transcript has at least two people whose labels come back; one-off names alone are thin
    names_back = sum(n >= 2 for n in counts.values())
    score = (0.4 + 0.6 * recurring) * (0.5 + 0.5 * switches) * min(1.0, len(names) / 8) ** 0.25
    score *= (1.0 if subject else 0.8) * (1.0, 0.7, 0.45)[2 - min(2, names_back)]
    evidence = (f"{len(names)} labels of {len(counts)} speakers, {recurring:.0%} of them recurring, "
                f"{switches:.0%} change speaker")
    return round(score, 2), evidence


def refuse_if_ambiguous(source: SourceText, found: dict[int, Candidate], cast: Cast) -> None:
    """Two or more person-like names in label positions, but no pattern that makes them turns.

    Section titles are not counted: "## 2016 - Lantern Maps" names a product as often as a
    person, so headers name speakers only once one of them names the subject or a --speaker."""
    seen = Counter(c.name for c in found.values()
                   if c.form in ("inline", "alone") and c.colon and (name_like(c.name) or cast.known(c.name)))
    if len({normalise_name(n) for n in seen}) >= 2:
        listed = ", ".join(f"{n!r} x{k}" for n, k in seen.most_common(6))
        raise BadSource(f"{source.path}: names in speaker positions but no consistent transcript "
                        f"pattern (seen: {listed}); {FIX}")
