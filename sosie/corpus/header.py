"""The metadata lines at the top of a transcript, and dates as people write them.

Transcripts rarely have YAML front matter; they open with lines such as ``**Date:** May 8,
2025``, ``Recorded: 8 May 2025`` or ``Source: https://...``. Those lines date every passage
of the file and are not the subject's words.

>>> parse_date("May 8, 2025"), parse_date("8 May 2025"), parse_date("2025-05-08")
('2025-05-08', '2025-05-08', '2025-05-08')
>>> parse_date("March 2019"), parse_date("2019"), parse_date("soon")
('2019-03', '2019', None)
"""

from __future__ import annotations

import datetime as dt
import re

from sosie.corpus.labels import candidate_at

KEYS = {
    "date": "date", "recorded": "date", "recorded on": "date", "published": "date",
    "air date": "date", "aired": "date", "broadcast": "date", "held": "date", "hearing date": "date",
    "title": "title", "source": "source", "url": "url", "link": "url", "video": "url",
}
META_LINE = re.compile(
    r"^[ \t]*(?:[-*][ \t]+)?(?:\*\*|__)?(?P<key>" + "|".join(sorted(KEYS, key=len, reverse=True))
    + r")(?:\*\*|__)?[ \t]*:(?:\*\*|__)?[ \t]*(?P<value>\S.*?)[ \t]*$",
    re.I,
)
HEADER_WINDOW = 12  # non-empty lines at the top of a file where metadata may stand


def parse_date(value: object) -> str | None:
    """An ISO date (``2025-05-08``, or ``2025-05`` / ``2025`` when that is all it says), or None."""
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    text = str(value or "").strip()
    if not text:
        return None
    if re.fullmatch(r"\d{4}(?:-\d{2}(?:-\d{2})?)?", text):
        return text
    from dateutil import parser

    try:  # two different defaults tell which parts the text really gave
        one = parser.parse(text, default=dt.datetime(2000, 1, 1), fuzzy=False)
        two = parser.parse(text, default=dt.datetime(2001, 2, 2), fuzzy=False)
    except (ValueError, OverflowError, TypeError):
        found = re.search(r"(?<!\d)(\d{4}-\d{2}-\d{2})(?!\d)", text)
        return found.group(1) if found else None
    if one.year != two.year:
        return None  # "May 8": no year, no date
    if one.month != two.month:
        return f"{one.year:04d}"
    if one.day != two.day:
        return f"{one.year:04d}-{one.month:02d}"
    return one.date().isoformat()


def header_block(text: str, start: int) -> tuple[dict, int]:
    """``(metadata, offset after the block)`` from the first lines of ``text[start:]``.

    The block may hold a title line or heading, blank lines and ``Key: value`` lines; it
    ends at the first line of anything else (a speaker label, a paragraph)."""
    meta: dict = {}
    cursor, end, seen = start, start, 0
    while cursor < len(text) and seen < HEADER_WINDOW:
        newline = text.find("\n", cursor)
        stop = len(text) if newline < 0 else newline
        line = text[cursor:stop]
        if line.strip():
            seen += 1
            found = META_LINE.match(line)
            if found:
                key = KEYS[found["key"].lower()]
                value = re.sub(r"^[*_]+|[*_]+$", "", found["value"]).strip()
                meta.setdefault(key, value)
                end = stop + 1
            elif not _title_like(line) or meta:
                break
        cursor = stop + 1
    if "date" in meta:
        parsed = parse_date(meta["date"])
        if parsed:
            meta["date"] = parsed
        else:
            del meta["date"]
    return meta, min(end, len(text)) if meta else start


def _title_like(line: str) -> bool:
    """A heading or a short line with no sentence end (the transcript's title), not a label."""
    stripped = line.strip()
    if stripped.startswith("#"):
        return True
    label = candidate_at(line)
    if label is not None and (label.form != "alone" or label.colon or label.stamp):
        return False
    return len(stripped) <= 120 and not re.search(r"[.?!:]$", stripped)
