"""A pure function from retrieved hits (and the safety check) to an `Answer`.

The bot writes no medical text of its own: the answer is the best passages quoted verbatim,
each with a numbered citation, plus fixed texts (safety notice, helpline, disclaimer, labels)
from the locale file of the question's language. When the first-ranked passage is not similar
enough to the question (`min_score`, against its own cosine or its best sentence's:
`Hit.relevance`), it says the documents do not cover it and names what they do cover — except
under a safety notice: a crisis gets the locale's kind words instead, and an emergency reply is
the notice itself, so nothing cold follows the help. A crisis reply never quotes: the help is the
reply, and a document's words on overdose are not what a person in crisis should read next.

Everything that comes from a document is escaped before it enters the Markdown, so a corpus
file holding `<script>` or `[link](javascript:...)` is shown as inert text.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import date

from .coverage import answers, uses
from .locale import Locale
from .query import expects
from .review import Review
from .schema import Answer, Hit, Part, Safety, Span
from .text import bm25_tokens, terms

_MD_SPECIAL = re.compile(r"([\\`*_\[\]|~!])")
_LISTED_TITLES = 8
_NEAR_DUPLICATE = 0.8  # share of distinct words two passages have in common (Jaccard)


def escape(text: str) -> str:
    """Markdown- and HTML-inert text: shown exactly as written, never as markup or a live link."""
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = _MD_SPECIAL.sub(r"\\\1", text)
    text = re.sub(r"(?m)^([ \t]*)#", r"\1\\#", text)  # no headings inside a quote
    text = text.replace("://", "\\://")  # no autolinks
    return re.sub(r"(?i)\b(www)\.", r"\1\\.", text)


_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)


def highlights(question: str, hit: Hit) -> tuple[Span, ...]:
    """The sentence of the passage that best answers what is asked: the highest sum of its
    cosine with the question (its stored sentence vector, `Hit.sentence_scores`; 0 for a hit made
    by hand) and the share of the question's words it holds, in any form or as one of their
    synonyms (`coverage.uses`: "addicted" in a sentence that says "dependence"), the documents'
    title words left out (every sentence is about the topic); the first on a tie. When the question
    asks for an amount, a count or a duration (`query.expects`), a sentence holding one of its words
    and an answer of that kind (`coverage.answers`: "33% of users", not any number) gains as much as
    all its words: the sentence saying how many is the answer to "how many". Nothing else counts: a
    sentence is never bolded for a number alone ("how long does withdrawal last" does not bold
    "rarely prescribed for more than two to four weeks", which says neither)."""
    spans = hit.passage.sentences or ((0, len(hit.passage.text)),)
    title = frozenset(terms(hit.passage.title))
    wanted: dict[frozenset[str], str] = {}  # each question word's stems → the word, once
    for word in _WORD.findall(question.lower()):
        if (stems := frozenset(terms(word))) and not stems <= title:
            wanted.setdefault(stems, word)
    words = [frozenset(w) for w in bm25_tokens([hit.passage.text[s:e] for s, e in spans])]
    cosines = hit.sentence_scores if len(hit.sentence_scores) == len(spans) else (0.0,) * len(spans)
    kind = expects(question)
    # a sentence holds a word in any form or as one of its synonyms, as the coverage check reads it
    held = [sum(uses(word, w) for word in wanted.values()) for w in words]
    score = [c + n / max(len(wanted), 1) + (kind is not None and n > 0 and answers(kind, hit.passage.text[s:e]))
             for c, n, (s, e) in zip(cosines, held, spans)]
    return (spans[max(range(len(spans)), key=lambda i: (score[i], -i))],)


def compose(
    question: str,
    hits: Sequence[Hit],
    *,
    safety: Safety | None,
    texts: Locale,
    titles: Sequence[str],
    min_score: float,
    top_k: int,
    addiction: bool = False,
    searched_for: str | None = None,
    other_language: str | None = None,
    uncovered: dict[str, str] | None = None,
    reviews: Mapping[str, Review] | None = None,
    stale_months: int = 0,
    today: date | None = None,
) -> Answer:
    """`other_language`: the documents' language when it is not the question's (a line says so).
    `uncovered` ({"topic", "asked"}): the documents hold the topic but not what is asked, so
    nothing is quoted and one plain sentence names both. `reviews`: each document's review dates
    (by its id), shown on its citations, which say "review overdue" when `Review.state` is stale
    on `today` (default: the clock's) with `stale_months`."""
    # the first-ranked passage decides, as when `min_score` was chosen: a lower one that clears it
    # alone ("How long should I boil an egg?" meeting a cooking word) is not an answer
    relevant = bool(hits) and hits[0].relevance >= min_score and not uncovered
    # a crisis reply is the help and the kind words: no quote follows them (not "in rare cases, death"
    # under "i dont want to live anymore, can an overdose kill you")
    relevant = relevant and not (safety is not None and safety.kind == "crisis")
    quoted = _distinct([h for h in hits if h.relevance >= min_score], top_k) if relevant else []
    quoted = [replace(h, rank=i, highlights=highlights(searched_for or question, h)) for i, h in enumerate(quoted, 1)]
    quoted = [reviewed(h, (reviews or {}).get(h.passage.doc), stale_months, today) for h in quoted]
    parts = _opening(safety, texts)
    parts += _body(question, quoted, texts=texts, titles=titles, searched_for=searched_for,
                   other_language=other_language, uncovered=uncovered, safety=safety)
    parts += _closing(quoted, texts, addiction)
    return Answer(question, "answered" if quoted else "no_answer", safety, tuple(quoted), "\n\n".join(parts),
                  texts.disclaimer, searched_for, texts.language, uncovered)


def reviewed(hit: Hit, review: Review | None, stale_months: int, today: date | None = None) -> Hit:
    """The hit with its document's review dates, marked stale when that review is overdue."""
    if review is None:
        return hit
    return replace(hit, review=review, stale=review.state(stale_months, today) == "stale")


def combine(question: str, answers: Sequence[Answer], *, texts: Locale, titles: Sequence[str],
            addiction: bool = False, other_language: str | None = None) -> Answer:
    """One reply to a message holding several questions, from each question's `compose`d answer.

    Each question is shown (escaped: it is the user's text) with its own quotes or its own "not
    covered" sentence, then one list of sources and one disclaimer. Quotes are renumbered 1..n
    across the reply, so every [n] names one passage. Answered when any question is."""
    lines: list[str] = []
    hits: list[Hit] = []
    parts: list[Part] = []
    for i, one in enumerate(answers, 1):
        quoted = [replace(h, rank=len(hits) + h.rank) for h in one.hits]
        hits += quoted
        lines.append(f"**{i}. {escape(one.question)}**")
        lines += _body(one.question, quoted, texts=texts, titles=titles, searched_for=one.searched_for,
                       other_language=other_language, uncovered=one.uncovered, safety=None)
        parts.append(Part(one.question, one.status, tuple(h.rank for h in quoted), one.uncovered))
    lines += _closing(hits, texts, addiction)
    return Answer(question, "answered" if hits else "no_answer", None, tuple(hits), "\n\n".join(lines),
                  texts.disclaimer, None, texts.language, None, tuple(parts))


def _body(question: str, quoted: Sequence[Hit], *, texts: Locale, titles: Sequence[str], searched_for: str | None,
          other_language: str | None, uncovered: dict[str, str] | None, safety: Safety | None) -> list[str]:
    """One question's quotes, with what was searched when it differs, or why there are none."""
    if not quoted:
        if uncovered and safety is None:
            sentence = texts.not_covered_concept.format(topic=escape(uncovered["topic"]), asked=escape(uncovered["asked"]))
            return [re.sub(r"(?i)\b(www)\.", r"\1\\.", sentence)]  # "…not about www." is no autolink
        return [_not_covered(titles, texts)] if safety is None else []
    lines = []
    if searched_for and searched_for != question:
        lines.append(f"*{escape(texts.searched_for)}* {escape(searched_for)}")
    if other_language:
        name = texts.language_names.get(other_language, other_language)
        lines.append(f"*{escape(texts.other_language.format(language=name))}*")
    lines.append(f"**{escape(texts.from_documents)}**")
    return lines + [_quote(h) for h in quoted]


def _closing(quoted: Sequence[Hit], texts: Locale, addiction: bool) -> list[str]:
    """What ends every reply: the sources of the quotes, the addiction helpline, the disclaimer."""
    lines = [f"**{escape(texts.sources)}**\n\n" + "\n".join(_source(h, texts) for h in quoted)] if quoted else []
    if addiction:
        lines.append(texts.addiction)
    return [*lines, f"*{escape(texts.disclaimer)}*"]


def _opening(safety: Safety | None, texts: Locale) -> list[str]:
    """What comes first: the notice, and after a crisis notice the locale's kind words."""
    if safety is None:
        return []
    return [safety.message, texts.crisis_support] if safety.kind == "crisis" else [safety.message]


def _distinct(hits: Sequence[Hit], top_k: int) -> list[Hit]:
    """The best `top_k` hits, skipping any whose words mostly repeat an earlier one's: health
    sites copy boilerplate paragraphs between pages, and quoting one twice tells the user nothing."""
    kept: list[Hit] = []
    seen: list[frozenset[str]] = []
    for hit in hits:
        words = frozenset(terms(hit.passage.text))
        if any(len(words & other) >= _NEAR_DUPLICATE * len(words | other) for other in seen):
            continue
        kept.append(hit)
        seen.append(words)
        if len(kept) == top_k:
            break
    return kept


def invalid(question: str, message: str, texts: Locale, safety: Safety | None = None) -> Answer:
    """Input that is not searched (empty, too long, over a limit): a notice still comes first."""
    parts = _opening(safety, texts)
    parts += [message, f"*{escape(texts.disclaimer)}*"]
    return Answer(question, "invalid", safety, (), "\n\n".join(parts), texts.disclaimer, None, texts.language)


def _quote(hit: Hit) -> str:
    text, pieces, pos = hit.passage.text, [], 0
    for s, e in hit.highlights:
        pieces += [escape(text[pos:s]), "**" + escape(text[s:e]) + "**"]
        pos = e
    pieces.append(escape(text[pos:]))
    body = "".join(pieces) + f" [{hit.rank}]"
    return "\n".join("> " + line for line in body.splitlines())


def _source(hit: Hit, texts: Locale) -> str:
    """`[n] [title › section](link) — doc · reviewed May 2024 · **review overdue**`: the link opens
    the quoted sentence (`links.py`); the link is built, never taken from a document as written."""
    p = hit.passage
    label = f"[{escape(p.title)} › {escape(p.section)}]({hit.link})"
    dates = [escape(texts.reviewed.format(date=day))] if hit.review and (day := hit.review.label()) else []
    if hit.stale:
        dates.append(f"**{escape(texts.review_overdue)}**")
    return f"[{hit.rank}] {label} — " + " · ".join([escape(p.doc), *dates]) + "  "


def _not_covered(titles: Sequence[str], texts: Locale) -> str:
    shown = [f"*{escape(t)}*" for t in titles[:_LISTED_TITLES]]
    more = len(titles) - len(shown)
    covered = ", ".join(shown) + (" " + texts.more_documents.format(n=more) if more > 0 else "")
    return texts.not_covered.format(covered=covered)
