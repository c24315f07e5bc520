"""Clean a record's layout before anyone looks for speakers, without moving a character.

Real records carry things that are not anybody's words and that break label shapes: non-breaking
and zero-width spaces (a White House briefing's ``MS. PSAKI:`` is followed by U+00A0, its reporters'
``Q`` by a run of them), and on paged documents the page furniture: running headers and footers
(``Official - Subject to Final Review``, ``Page 6 of 27``), page numbers, and the 1-25 line numbers
in a court transcript's margin; and stage notes inside a turn (``(Laughter.)``, ``[crosstalk]``),
which are nobody's words. Everything here replaces characters one for one, so every offset
into the cleaned text is an offset into the decoded file, and citations stay exact.

>>> normalise_spaces("MS. PSAKI:\\xa0 Hi.\\u200b") == "MS. PSAKI:  Hi. "
True
"""

from __future__ import annotations

import re
from collections import Counter

# non-breaking, figure, narrow, thin, ideographic and zero-width spaces; BOM; word joiner
ODD_SPACES = dict.fromkeys(map(ord, "\u00a0\u2007\u202f\u2009\u200a\u2002\u2003\u2004\u2005\u2006"
                                    "\u2008\u205f\u3000\u200b\u200c\u200d\u2060\ufeff\u180e"), " ")
PAGE_NUMBER = re.compile(r"[ \t]*(?:[-–—]?[ \t]*\d{1,4}[ \t]*[-–—]?|Page \d+(?: of \d+)?)[ \t]*", re.I)
MARGIN_NUMBER = re.compile(r"^([ \t]{0,6}(?:[1-9]|1\d|2[0-9]))(?=[ \t]{2,}\S|[ \t]*$)", re.M)
DIGITS = re.compile(r"\d+")
# stage notes inside a turn are nobody's words; "(Inaudible.)" stands for the speaker's own and stays
STAGE_NOTE = re.compile(r"[(\[](?:laughter|laughs|laughing|applause|cross-?talk(?: by reporters)?|"
                        r"chuckles?|scoffs|affirmative|(?:extended\s+)?silence|"
                        r"pause(?: for [^()\[\]]{1,40})?|"
                        r"overlapping (?:voices|conversation)|music|"
                        # an oral history's editor and recorder: "[Ed note: BGen. Ray A. Robinson]",
                        # "[words lost due to sound activation of tape recorder]"
                        r"ed(?:itor)?(?:'s|’s)?\.? note:[^()\[\]]{0,300}|words lost[^()\[\]]{0,120})"
                        r"\.?[)\]]", re.I)
# an oral history's tape log, blanked where it stands (a tape change inside an answer does not
# end the answer): "End Tape 1, Side B", "Begin Tape 1/XII, Side A",
# "Begin Session VII, 19 October 1982", "Session X; 29 May 1985", "End of Interview"
_TAPE = r"Tape[ \t]+[\dIVXLC]+(?:/[\dIVXLC]+)?(?:,?[ \t]+Side[ \t]+[\dAB])?"
_SESSION = r"Session[ \t]+[IVXLC\d]+(?:[,;][ \t]*[^\n]{0,30})?"
_BEGIN_END = r"(?:Begin|End|Start|Resume|Resuming)[ \t]+(?:of[ \t]+)?"
TAPE_LINE = re.compile(rf"^[ \t]*(?:{_BEGIN_END}(?:Interview|Recording|Side[ \t]+[\dAB])|"
                       rf"(?:{_BEGIN_END})?(?:{_TAPE}|{_SESSION}))[ \t]*\.?[ \t]*\r?$", re.I | re.M)
# the same line on at least this share of a paged record's pages is a running header or footer
RUNNING_SHARE = 0.5


def normalise_spaces(text: str) -> str:
    """Odd spaces become plain ones; a cut-off dash set as ``-`` + soft hyphen becomes ``--``."""
    return text.translate(ODD_SPACES).replace("-\u00ad", "--")


def _blank(text: str, spans: list[tuple[int, int]]) -> str:
    if not spans:
        return text
    chars = list(text)
    for start, end in spans:
        for i in range(start, end):
            if chars[i] not in "\n\f":
                chars[i] = " "
    return "".join(chars)


def page_count(text: str, pages: int | None = None) -> int:
    """How many pages a record has: as its reader says (PDF), else its form feeds plus one."""
    return pages if pages else text.count("\f") + 1


def blank_furniture(text: str, pages: int | None = None) -> str:
    """On a paged record, blank page numbers, running headers and footers, and (from three pages)
    margin line numbers. A record without pages is returned as it is."""
    count = page_count(text, pages)
    if count < 2:
        return text
    filled = sum(1 for raw in text.split("\n") if raw.strip())
    numbered = [(m.start(), m.end()) for m in MARGIN_NUMBER.finditer(text)]
    if count >= 3 and filled and len(numbered) >= 0.4 * filled:  # a court reporter's numbered lines
        text = _blank(text, numbered)
    lines: list[tuple[int, int, str]] = []
    cursor = 0
    for raw in text.split("\n"):
        bare = raw.replace("\f", " ")
        lines.append((cursor, cursor + len(raw), DIGITS.sub("#", " ".join(bare.split()))))
        cursor += len(raw) + 1
    keys = Counter(key for _, _, key in lines)
    edges = Counter(key for key in _page_edges(text, lines))
    # on every page, or (a short record) at the top or foot of at least two of its pages
    running = {k for k, n in keys.items() if k and len(k) <= 90 and not k.endswith(":") and not _speechlike(k)
               and (n >= max(3, RUNNING_SHARE * count) or edges[k] >= max(2, RUNNING_SHARE * count))}
    spans = [(start, end) for start, end, key in lines
             if key and (key in running or PAGE_NUMBER.fullmatch(text[start:end].replace("\f", " ")))]
    return _blank(text, spans)


def _page_edges(text: str, lines: list[tuple[int, int, str]]) -> list[str]:
    """The keys of the first and last two filled lines of each page, once a page. A page ends at
    a form feed: after its line (a PDF's pages here) or before it (pdftotext's "\fJune 12, ...")."""
    out: list[str] = []
    page: list[str] = []

    def close() -> None:
        out.extend(set(page[:2] + page[2:][-2:]))
        page.clear()

    for start, end, key in lines:
        raw = text[start:end]
        feed = raw.find("\f")
        if feed >= 0 and not raw[:feed].strip():
            close()  # this line opens the next page
            feed = -1
        if key:
            page.append(key)
        if feed >= 0:
            close()
    close()
    return out


def _speechlike(key: str) -> bool:
    """Short lines that recur because people say them, not because a page prints them."""
    words = key.split()
    return len(words) <= 3 and key[-1:] in ".?!" and not any(w == "#" for w in words)


def clean(text: str, pages: int | None = None) -> str:
    """Everything above, in order; same length as ``text``."""
    spaced = normalise_spaces(text)
    notes = [m.span() for pattern in (STAGE_NOTE, TAPE_LINE) for m in pattern.finditer(spaced)]
    cleaned = blank_furniture(_blank(spaced, notes), pages)
    assert len(cleaned) == len(text)
    return cleaned
