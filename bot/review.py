"""How old a source is: the `reviewed` and `review_by` dates of a document's front matter, read
as dates, the label a citation shows ("reviewed May 2024") and the stale rule.

A source is stale when its `review_by` date has passed, or when `Settings.stale_months`
(BOT_STALE_MONTHS) is more than 0 and it was reviewed more than that many whole months ago.
A source with no readable date is "undated": never called stale (nothing says it is old), but
listed as undated on the help-desk page so that someone adds its date.

Accepted forms: 2024-05-03, 2024-05, 2024, 2024-05-03T10:00:00Z, 3 May 2024, May 3, 2024,
May 2024 (English month names, full or short). A day or month left out counts as the first.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal

State = Literal["current", "stale", "undated"]

_MONTHS = {m: i + 1 for i, m in enumerate(
    ("january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
     "november", "december"))}
_NAMES = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December")


def parse(text: str | None) -> date | None:
    """The date written in `text`, or None when it holds none of the accepted forms."""
    value = (text or "").strip()
    if m := re.fullmatch(r"(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?(?:[T ][0-9:.+\-Z]*)?", value):
        year, month, day = int(m[1]), int(m[2] or 1), int(m[3] or 1)
        return _date(year, month, day)
    words = re.findall(r"[A-Za-z]+|\d+", value)
    month = next((_month(w) for w in words if _month(w)), None)
    numbers = [int(w) for w in words if w.isdigit()]
    years = [n for n in numbers if n >= 1000]
    if month is None or len(years) != 1 or len(words) > 3:
        return None
    days = [n for n in numbers if n < 1000]
    return _date(years[0], month, days[0] if days else 1)


def _month(word: str) -> int | None:
    word = word.lower()
    if len(word) < 3:
        return None
    return next((n for name, n in _MONTHS.items() if name.startswith(word)), None)


def _date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


@dataclass(frozen=True)
class Review:
    """A document's review dates, as read from its front matter (None: missing or unreadable)."""

    reviewed: date | None
    review_by: date | None

    @classmethod
    def of(cls, reviewed: str | None, review_by: str | None = None) -> Review:
        return cls(parse(reviewed), parse(review_by))

    def state(self, stale_months: int, today: date | None = None) -> State:
        """"stale" past review_by or more than `stale_months` whole months after the review
        (0: no age limit), "undated" with no date at all, else "current"."""
        today = today or datetime.now().date()
        if self.review_by is not None and today > self.review_by:
            return "stale"
        if self.reviewed is None:
            return "current" if self.review_by is not None else "undated"
        if stale_months > 0 and months_between(self.reviewed, today) > stale_months:
            return "stale"
        return "current"

    def label(self) -> str | None:
        """"May 2024": the month and year of the review, for a citation; None without a date."""
        return None if self.reviewed is None else f"{_NAMES[self.reviewed.month - 1]} {self.reviewed.year}"


def months_between(earlier: date, later: date) -> int:
    """Whole months from `earlier` to `later` (negative when `later` comes first)."""
    months = (later.year - earlier.year) * 12 + later.month - earlier.month
    return months - 1 if later.day < earlier.day else months
