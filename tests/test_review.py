"""The review dates of a source: the accepted forms, the label and the stale rule."""

from datetime import date

import pytest

from bot.ingest import read_document
from bot.review import Review, months_between, parse


@pytest.mark.parametrize("text, expected", [
    ("2024-05-03", date(2024, 5, 3)), ("2024-05", date(2024, 5, 1)), ("2024", date(2024, 1, 1)),
    ("2024-05-03T10:00:00Z", date(2024, 5, 3)), ("3 May 2024", date(2024, 5, 3)),
    ("May 3, 2024", date(2024, 5, 3)), ("May 2024", date(2024, 5, 1)), ("sept 2023", date(2023, 9, 1)),
    ("2024-02-30", None), ("soon", None), ("", None), (None, None), ("May", None), ("2023 2024 May", None),
    ("Mayday in 2024 or so and more words", None),
])
def test_the_accepted_forms(text, expected):
    assert parse(text) == expected


def test_the_label_names_month_and_year():
    assert Review.of("2024-05-03").label() == "May 2024"
    assert Review.of(None).label() is None


@pytest.mark.parametrize("reviewed, review_by, months, today, state", [
    ("2024-05-03", None, 12, date(2025, 5, 3), "current"),   # exactly twelve months: not older than twelve
    ("2024-05-03", None, 12, date(2025, 6, 2), "current"),   # twelve whole months and 30 days
    ("2024-05-03", None, 12, date(2025, 6, 3), "stale"),     # thirteen whole months
    ("2020-01-01", None, 0, date(2026, 1, 1), "current"),    # no age limit
    ("2024-05-03", "2025-01-01", 0, date(2025, 1, 2), "stale"),  # past its review_by date
    ("2024-05-03", "2025-01-01", 0, date(2025, 1, 1), "current"),
    (None, None, 12, date(2025, 1, 1), "undated"),
    ("not a date", None, 12, date(2025, 1, 1), "undated"),
    (None, "2025-01-01", 12, date(2024, 1, 1), "current"),
])
def test_the_stale_rule(reviewed, review_by, months, today, state):
    assert Review.of(reviewed, review_by).state(months, today) == state


def test_months_between():
    assert months_between(date(2024, 1, 31), date(2024, 2, 29)) == 0
    assert months_between(date(2024, 1, 31), date(2024, 3, 1)) == 1
    assert months_between(date(2024, 5, 1), date(2024, 5, 1)) == 0


def test_front_matter_dates_reach_the_document(tmp_path):
    path = tmp_path / "leaflet.md"
    path.write_text("---\ntitle: Leaflet\nreviewed: 2024-05-03\nreview_by: May 2026\n---\n# Leaflet\n\nText.\n")
    doc = read_document(path, "leaflet.md")
    assert (doc.reviewed, doc.review_by) == ("2024-05-03", "May 2026")
    assert Review.of(doc.reviewed, doc.review_by) == Review(date(2024, 5, 3), date(2026, 5, 1))
