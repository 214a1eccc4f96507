"""Dates as written in articles and their metadata -> ISO 8601.

Datelines ("Tuesday, May 15, 2025 at 9:30 am"), front matter, feeds and records write dates every which way;
the map filters by date, so each is read once into ISO 8601 here, or left unread when it is ambiguous
("03/04/2025") rather than guessed. Standard library only.
"""

from __future__ import annotations

import datetime as dt
import re

_MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ),
        start=1,
    )
    for name in names
}
_MONTH = r"(?P<month>" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")\.?"
_WEEKDAY = r"(?:(?:mon|tues?|wed(?:nes)?|thu(?:rs?)?|fri|sat(?:ur)?|sun)(?:day)?\.?,?\s+)?"
_DAY = r"(?P<day>\d{1,2})(?:st|nd|rd|th)?"
_YEAR = r"(?P<year>\d{4})"
_PREFIX = r"(?:(?:published|updated|posted|last\s+updated|date)(?:\s+on)?\s*:?\s*)?"
_TIME = r"(?:\s*(?:[,|·•–—-]|\bat\b)?\s*\d{1,2}[:.]\d{2}(?:\s*[ap]\.?m\.?)?(?:\s+[A-Za-z]{2,5})?)?"
_DATE_PATTERNS = tuple(
    re.compile(_PREFIX + _WEEKDAY + body + _TIME, re.IGNORECASE)
    for body in (
        _MONTH + r"\s+" + _DAY + r",?\s+" + _YEAR,  # May 15, 2025
        _DAY + r"\s+(?:of\s+)?" + _MONTH + r",?\s+" + _YEAR,  # 15 May 2025
        _YEAR + r"-(?P<mnum>\d{1,2})-" + _DAY,  # 2025-05-15
        r"(?P<a>\d{1,2})[./-](?P<b>\d{1,2})[./-]" + _YEAR,  # 15-07-2025, 07/15/2025
    )
)


def parse_date(value: object) -> str | None:
    """An ISO 8601 date (or date-time, when the value is one) from a date-like value, else None.

    Numeric dates are read day-first or month-first only when one of the two numbers exceeds 12.
    """
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if not isinstance(value, str) or len(value) > 80:
        return None
    value = value.strip()
    iso = _iso_datetime(value)
    if iso:
        return iso
    for pattern in _DATE_PATTERNS:
        match = pattern.fullmatch(value)
        if match:
            return _date_from_match(match)
    return None


_ISO_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d++)?)?(?:Z|[+-]\d{2}(?::?\d{2})?)?)?")


def _iso_datetime(value: str) -> str | None:
    if not _ISO_DATETIME.fullmatch(value):
        return None
    try:
        return (
            dt.datetime.fromisoformat(value).isoformat()
            if len(value) > 10
            else dt.date.fromisoformat(value).isoformat()
        )
    except ValueError:
        return None


def _date_from_match(match: re.Match[str]) -> str | None:
    groups = match.groupdict()
    year = int(groups["year"])
    if groups.get("month"):
        month, day = _MONTHS[groups["month"].lower()], int(groups["day"])
    elif groups.get("mnum"):
        month, day = int(groups["mnum"]), int(groups["day"])
    else:
        a, b = int(groups["a"]), int(groups["b"])
        if a > 12 >= b:
            day, month = a, b
        elif b > 12 >= a:
            month, day = a, b
        else:
            return None  # ambiguous (or impossible)
    try:
        return dt.date(year, month, day).isoformat()
    except ValueError:
        return None
