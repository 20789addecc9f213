"""Where a citation leads (bot/links.py): text fragments built from the exact quote, a PDF's page,
the source view; and review dates on citations with the stale rule on a fixed day."""

from __future__ import annotations

from datetime import date

from bot.answer import compose
from bot.links import passage_link, source_view, text_fragment, with_fragment
from bot.locale import Locales
from bot.review import Review
from bot.schema import Hit, Passage

SEED = ("Klonopin withdrawal symptoms include insomnia, nausea and vomiting, headaches, tremors, "
        "and – in severe cases – seizures.")


def test_a_text_fragment_is_the_quote_percent_encoded_with_its_own_syntax_characters():
    assert text_fragment("insomnia, nausea and vomiting") == "text=insomnia%2C%20nausea%20and%20vomiting"
    # "-", "," and "&" are the directive's syntax; "%" and non-ASCII are percent-encoded UTF-8
    assert text_fragment("a 2-week taper: 50% less & slower") == \
        "text=a%202%2Dweek%20taper%3A%2050%25%20less%20%26%20slower"
    assert text_fragment("café – névralgie") == "text=caf%C3%A9%20%E2%80%93%20n%C3%A9vralgie"
    assert text_fragment("two  lines\n of   text") == "text=two%20lines%20of%20text"  # white space as shown


def test_a_long_quote_is_named_by_its_first_and_last_words():
    words = [f"w{i}" for i in range(80)]
    assert text_fragment(" ".join(words)) == "text=w0%20w1%20w2%20w3%20w4,w75%20w76%20w77%20w78%20w79"


def test_a_document_with_a_url_links_to_its_highlighted_sentence():
    s = SEED.index("and –")
    link = passage_link("k.md", "https://example.org/klonopin", "Withdrawal", SEED, ((s, len(SEED)),), 100, 200)
    assert link == "https://example.org/klonopin#:~:text=and%20%E2%80%93%20in%20severe%20cases%20%E2%80%93%20seizures."
    # no highlight: the whole passage
    assert passage_link("k.md", "https://example.org/k", "W", "One, two.", (), 0, 9) == \
        "https://example.org/k#:~:text=One%2C%20two."


def test_an_existing_fragment_is_kept_and_an_old_directive_replaced():
    assert with_fragment("https://example.org/p#top", "text=a") == "https://example.org/p#top:~:text=a"
    assert with_fragment("https://example.org/p#:~:text=old", "text=a") == "https://example.org/p#:~:text=a"
    # parentheses in the page's address cannot end the Markdown link
    assert passage_link("w.md", "https://en.wikipedia.org/wiki/Clonazepam_(drug)", "S", "x", (), 0, 1) == \
        "https://en.wikipedia.org/wiki/Clonazepam_%28drug%29#:~:text=x"


def test_a_pdf_page_links_to_that_page_and_a_document_without_url_to_the_source_view():
    assert passage_link("guide.pdf", "https://example.org/guide.pdf#x", "Page 7", "text", (), 0, 4) == \
        "https://example.org/guide.pdf#page=7"
    assert passage_link("guides/Guía 2.pdf", None, "Page 7", "text", (), 10, 14) == \
        "/source/guides/Gu%C3%ADa%202.pdf?passage=10-14#passage"
    assert passage_link("notes.md", "javascript:alert(1)", "S", "t", (), 3, 4) == source_view("notes.md", 3, 4) == \
        "/source/notes.md?passage=3-4#passage"


def _answer(review: Review | None, today: date, stale_months: int):
    passage = Passage("k.md", "Klonopin", "Withdrawal", None, 0, len(SEED), SEED)
    locale = Locales.load().default
    return compose("withdrawal symptoms of klonopin", [Hit(passage, 1, 0.9)], safety=None, texts=locale,
                   titles=["Klonopin"], min_score=0.2, top_k=3, reviews={"k.md": review} if review else {},
                   stale_months=stale_months, today=today)


def test_a_citation_shows_its_review_date_and_review_overdue_past_the_stale_rule():
    review = Review.of("2024-05-03")
    fresh = _answer(review, date(2025, 5, 3), 12)
    line = next(row for row in fresh.markdown.splitlines() if row.startswith("[1] "))
    assert line.endswith("— k.md · reviewed May 2024  ") and "overdue" not in fresh.markdown
    passage = fresh.to_dict()["passages"][0]
    assert (passage["reviewed"], passage["review_by"], passage["stale"]) == ("2024-05-03", None, False)
    old = _answer(review, date(2025, 6, 3), 12)  # 13 whole months later
    assert "— k.md · reviewed May 2024 · **review overdue**" in old.markdown
    assert old.to_dict()["passages"][0]["stale"] is True
    assert "overdue" not in _answer(review, date(2030, 1, 1), 0).markdown  # 0: no age limit
    due = _answer(Review.of(None, "2025-01-01"), date(2025, 1, 2), 0)  # past review_by
    assert "— k.md · **review overdue**" in due.markdown and due.to_dict()["passages"][0]["review_by"] == "2025-01-01"
    undated = _answer(None, date(2030, 1, 1), 1)
    assert "reviewed" not in undated.markdown and undated.to_dict()["passages"][0]["stale"] is False


def test_the_spanish_locale_says_it_in_spanish():
    locale = Locales.load().get("es")
    assert locale.reviewed.format(date="May 2024") == "revisado: May 2024" and locale.review_overdue == "revisión vencida"
