"""Dates a person can type for "as of": ``2016``, ``2016-05``, ``2016-12-31``, ``March 2019``.

A year or a month means its last day (``--as-of 2016`` is everything said in 2016), so the
result is always a full ``YYYY-MM-DD`` that compares as text with the dates Sosie stores
(``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD``; a partial stored date counts from its start).

>>> as_of_date("2016"), as_of_date("2016-02"), as_of_date("31 December 2016")
('2016-12-31', '2016-02-29', '2016-12-31')
>>> as_of_date("March 2019")
'2019-03-31'
"""

from __future__ import annotations

import calendar
import datetime as dt
import re

from sosie.errors import SosieError

ACCEPTED = "YYYY, YYYY-MM or YYYY-MM-DD (e.g. 2016, 2016-05, 2016-12-31), or words such as 'March 2019'"


class BadDate(SosieError):
    """A date Sosie cannot read; the message lists the accepted forms."""


def _month_end(year: int, month: int) -> str:
    return f"{year:04d}-{month:02d}-{calendar.monthrange(year, month)[1]:02d}"


def as_of_date(text: str | None) -> str | None:
    """The last day ``text`` names, as ``YYYY-MM-DD``; ``None`` for no date."""
    if text is None or not str(text).strip():
        return None
    value = str(text).strip()
    try:
        if re.fullmatch(r"\d{4}", value):
            return f"{value}-12-31"
        if found := re.fullmatch(r"(\d{4})-(\d{1,2})", value):
            return _month_end(int(found[1]), int(found[2]))
        if re.fullmatch(r"\d{4}-\d{1,2}-\d{1,2}", value):
            return dt.date.fromisoformat("-".join(p.zfill(2) for p in value.split("-"))).isoformat()
        from dateutil import parser

        early = parser.parse(value, default=dt.datetime(1, 1, 1))
        late = parser.parse(value, default=dt.datetime(1, 12, 28))
    except (ValueError, OverflowError) as exc:
        raise BadDate(f"as-of date {value!r}: not a date Sosie reads; use {ACCEPTED}") from exc
    if early.year == 1:
        raise BadDate(f"as-of date {value!r}: names no year; use {ACCEPTED}")
    if early.month != late.month:  # no month given: the year's end
        return f"{early.year:04d}-12-31"
    if early.day != late.day:  # no day given: the month's end
        return _month_end(early.year, early.month)
    return early.date().isoformat()
