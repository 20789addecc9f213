"""`Bot`: the stages wired together — check the question, language, safety, retrieve, answer.

The embedder is passed in (tests hand in a fake); by default it is the bundled model, loaded
on the first question. Input is checked before any model work: an empty, unreadable or
over-long message gets status `invalid` with a message saying what to do — after the safety
screen, so a notice is never withheld. A question in another language than the documents'
is searched through its locale's glossary, and answered in its own language.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import replace
from functools import lru_cache, reduce
from pathlib import Path

import numpy as np

from . import answer, coverage, dialogue, query, safety
from .config import Settings
from .embed import Embedder, make_embedder
from .index import Index, load
from .locale import Locale, Locales, translate
from .retrieve import Mode, Retriever
from .review import Review
from .schema import Answer, Hit, Safety

# C0/C1 controls (but tab and newline) become spaces; zero-width characters and bidirectional
# overrides are deleted, so "over\u200bdose" still reads as "overdose"
_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_INVISIBLE = re.compile("[\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]")


def clean_question(text: str) -> str:
    """Printable, valid Unicode on one line: lone surrogates become "?", controls spaces."""
    text = text.encode("utf-8", "replace").decode("utf-8", "replace")
    return " ".join(_CONTROLS.sub(" ", _INVISIBLE.sub("", text)).split())


class Bot:
    def __init__(self, index: Index, embedder: Embedder, settings: Settings) -> None:
        self.index = index
        self.embedder = embedder
        self.locales = Locales.load(settings.locales or None, settings.safety_texts or None)
        self.texts = self.locales.default  # the documents' language: the help desk's default locale
        self.retriever = Retriever(index, embedder, settings)
        self.titles = index.titles
        #: the language of each document that declares one; the others are in the default locale's
        self.doc_languages: dict[str, str] = dict(index.manifest.get("languages") or {})
        #: each document's review dates, as its citations show them
        self.reviews = {doc: Review.of(d.get("reviewed"), d.get("review_by"))
                        for doc, d in (index.manifest.get("documents") or {}).items()}
        self.topics = dialogue.title_words(self.titles)
        #: a medicine's name → its name the documents use most ("clonazepam" → "klonopin")
        self.names = query.preferred_names(index.lexical.frequency)
        #: the unit vector of a text as the bot embeds questions (the last 512 kept: `vector.cache_clear()`)
        self.vector = lru_cache(maxsize=512)(self._embed_one)
        #: each document's passages, rows [first, end) of the index (a document's rows are next to each other)
        self.rows = {doc: tuple(d["rows"]) for doc, d in (index.manifest.get("documents") or {}).items() if d.get("rows")}
        self._stems: dict[str, frozenset[str]] = {}  # document → the stems of all its passages

    @property
    def settings(self) -> Settings:
        """One copy, shared with the retriever, so changing it changes what both do."""
        return self.retriever.settings

    @settings.setter
    def settings(self, value: Settings) -> None:
        self.retriever.settings = value

    @classmethod
    def load(cls, path: str | Path | None = None, *, embedder: Embedder | None = None,
             settings: Settings | None = None) -> Bot:
        """Open a built index folder (default `index/`, or BOT_INDEX)."""
        settings = settings or Settings.load(index=path)
        embedder = embedder or make_embedder(settings)
        return cls(load(settings.index, embedder=embedder, settings=settings), embedder, settings)

    def _embed_one(self, text: str) -> np.ndarray:
        return self.embedder.embed([text])[0]

    def analyse(self, message: str) -> query.Query:
        known = getattr(self.embedder, "known_words", frozenset())
        return query.analyse(message, self.index.words, known, self.index.lexical.vocabulary, self.names)

    def search(self, message: str, *, k: int = 10, mode: Mode | None = None) -> list[Hit]:
        """Ranked passages for a message, with no abstention: what the evaluation scores."""
        mode = mode or self.settings.retrieval  # type: ignore[assignment]
        q = self.analyse(message) if mode == "hybrid" else query.Query(message, message, frozenset())
        return self._retrieve(q, k, mode)

    def _retrieve(self, q: query.Query, k: int, mode: Mode) -> list[Hit]:
        return self.retriever.search(q, self.vector(q.text), k=k, mode=mode)

    def screen(self, message: str, page: str | None = None) -> tuple[Locale, Safety | None]:
        """The locale a message is answered in and its safety notice: cheap, no model, no index."""
        text = clean_question(message[: 2 * self.settings.max_question_chars])
        locale = self.locales.for_message(text, page)
        return locale, self.locales.check(text, locale)

    def limited(self, question: str, seconds: int, page: str | None = None) -> Answer:
        """The reply to a question over the rate limit: the notice, and when to ask again."""
        return self._unsearched(question, page, lambda locale: locale.rate_limited.format(seconds=seconds))

    def unavailable(self, question: str, page: str | None = None) -> Answer:
        """The reply when the documents cannot be searched (the vector store is down): the notice,
        which needs no search, and a request to ask again soon."""
        return self._unsearched(question, page, lambda locale: locale.unavailable)

    def _unsearched(self, question: str, page: str | None, reason: Callable[[Locale], str], *, cut: bool = False) -> Answer:
        """A reply that searches nothing: the message's notice, if any, and `reason` in its locale,
        under the question's first 200 characters ("…" when `cut` or longer)."""
        locale, notice = self.screen(question, page)
        shown = clean_question(question[:200]) + ("…" if cut or len(question) > 200 else "")
        return answer.invalid(shown, reason(locale), locale, notice)

    def coverage(self, searched: str, hits: Sequence[Hit], joint: Sequence[float] = ()) -> coverage.Coverage:
        """What of the question the documents of the best `coverage_passages` passages (those the
        chat quotes, whatever `top_k` a caller asks for) never use, and how the question meets those
        passages' sentences: its best sentence cosine, and how that changes when each missing word
        rarer than `coverage_specificity` is taken out, and when all those rarer than it (and than
        each specificity of `joint`) are out at once (the variants embedded in one call, compared
        with the stored sentence vectors)."""
        close = [h for h in hits if h.relevance >= self.settings.min_score]
        read = max(self.settings.coverage_passages, 1)  # the same decision for a reply of 3 passages or of 10
        quoted = close[:read]
        found = coverage.check(searched, quoted, self._held, close[read:], self.retriever.passage_terms)
        compared = [found.words[i] for i, z in zip(found.missing, found.zipf) if z < self.settings.coverage_specificity]
        if not compared:
            return found
        sentences = self._sentence_vectors(quoted)
        best = float(np.max(sentences @ self.vector(searched)))
        levels = sorted({self.settings.coverage_specificity, *joint})
        together = [reduce(coverage.without, [found.words[i] for i, z in zip(found.missing, found.zipf) if z < level],
                           searched) for level in levels]
        texts = [coverage.without(searched, w) for w in compared] + together
        distinct = list(dict.fromkeys(texts))  # one missing word alone and "all of them" are the same text
        gain_of = dict(zip(distinct, (np.max(self.embedder.embed(distinct) @ sentences.T, axis=1) - best).tolist()))
        gains = iter(gain_of[t] for t in texts)
        return replace(found, sentence=best, gains=tuple(
            next(gains) if z < self.settings.coverage_specificity else float("nan") for z in found.zipf),
            joint=tuple(zip(levels, gains)))

    def _sentence_vectors(self, hits: Sequence[Hit]) -> np.ndarray:
        """The stored vectors of every sentence of these hits' passages, one row each."""
        pids = [h.pid for h in hits if h.pid >= 0]
        return np.vstack(self.index.store.sentence_vectors(pids)) if pids else np.zeros((0, self.embedder.dim))

    def _held(self, hits: Sequence[Hit]) -> frozenset[str]:
        """The stems of every passage of the documents these hits come from (titles and headings
        included, as BM25 indexed them), from the BM25 postings of each document's rows: no passage is read."""
        return frozenset().union(*(self._document_stock(h.passage.doc) for h in hits))

    def _document_stock(self, doc: str) -> frozenset[str]:
        if doc not in self._stems:
            first, end = self.rows.get(doc, (0, 0))
            self._stems[doc] = self.index.lexical.terms(first, end)
        return self._stems[doc]

    def uncovered(self, searched: str, hits: Sequence[Hit], translated_from: Locale | None) -> dict[str, str] | None:
        """{"topic", "asked"} when the quotes hold the topic but not what is asked, else None."""
        s = self.settings
        if s.coverage_max_words <= 0 or not hits:  # 0 turns the whole check off
            return None
        found = self.coverage(searched, hits)
        by_words = dict(specific=s.coverage_specificity, gain=s.coverage_gain, sentence=s.coverage_sentence,
                        max_words=s.coverage_max_words, sentence_words=s.coverage_sentence_words,
                        story_words=s.coverage_story_words)
        if not coverage.declines(found, **by_words, aspect_words=s.coverage_aspect_words,
                                 quoted_words=s.coverage_quoted_words, quoted_specific=s.coverage_quoted_specificity):
            return None
        asked = coverage.named(found, **by_words, quoted_specific=s.coverage_quoted_specificity)
        topic = found.topic or hits[0].passage.title
        if translated_from is not None:  # name them in the question's language when the glossary can
            back = {english: word for word, english in sorted(translated_from.glossary.items(), reverse=True)}
            topic, asked = (" ".join(back.get(w.lower(), w) for w in t.split()) for t in (topic, asked))
        return {"topic": topic, "asked": asked}

    def too_long(self, question: str, length: str, page: str | None = None) -> Answer:
        """The reply to a message over the size limit (`length`, as shown): the notice, and why."""
        limit = f"{self.settings.max_question_chars:,}"
        return self._unsearched(question, page, lambda locale: locale.too_long.format(length=length, limit=limit), cut=True)

    def ask(self, question: str, history: Sequence[dialogue.Turn] = (), *, page: str | None = None) -> Answer:
        """Answer one message; `history` holds earlier turns (strings, or chat messages with
        "role" and "content"), so a short follow-up is searched with the earlier topic. `page`
        is the language the person chose (the page's), used when the message's is unclear.

        A message holding several questions (`dialogue.questions`) is answered question by
        question, each later one a follow-up of those before it; one with a safety notice is
        answered whole, as it tells one story and the notice comes first."""
        if len(question) > self.settings.max_question_chars:
            return self.too_long(question, f"{len(question):,}", page)
        text = clean_question(question)
        locale, notice = self.screen(text, page)
        if not re.search(r"[^\W_]", text):
            return answer.invalid(text, locale.empty.format(example=locale.example), locale, notice)
        parts = [text] if notice else dialogue.questions(text, self.topics)
        if len(parts) == 1:
            return self._ask_one(text, history, locale, notice)
        return self._ask_parts(text, parts, history, locale)

    def _ask_parts(self, text: str, parts: Sequence[str], history: Sequence[dialogue.Turn], locale: Locale) -> Answer:
        """Each question of a message answered alone, with the message's locale (a part may be too
        short to tell its language) and the questions before it as history, then put together."""
        earlier, answers = dialogue.user_turns(history), list[Answer]()
        for part in parts:
            answers.append(self._ask_one(part, earlier, locale, None))
            earlier = [*earlier, part]
        addiction = any(safety.is_addiction_question(a.searched_for or a.question) for a in answers)
        return answer.combine(text, answers, texts=locale, titles=self.titles, addiction=addiction,
                              other_language=self._documents_language(locale))

    def _documents_language(self, locale: Locale) -> str | None:
        """The documents' language when none of them is in the question's, else None."""
        languages = {self.texts.language, *self.doc_languages.values()}
        return self.texts.language if locale.language not in languages else None

    def _ask_one(self, text: str, history: Sequence[dialogue.Turn], locale: Locale, notice: Safety | None) -> Answer:
        """One question (cleaned, screened, not empty): follow-up → retrieve → coverage → answer."""
        documents_language = self._documents_language(locale)
        other_language = documents_language is not None
        if other_language:  # English documents, a Spanish question: searched in everyday English
            def english(t: str) -> str:
                return translate(t, locale.glossary, self.index.words) or t
            text_searched, history = english(text), [english(t) for t in dialogue.user_turns(history)]
        else:
            text_searched = text
        # a message that got a notice tells its own story: it is searched as it is, not as a follow-up
        searched = text_searched if notice else dialogue.contextualize(text_searched, history, self.topics)
        q = self.analyse(searched)
        k = max(self.settings.top_k, 10)
        if len({self.texts.language, *self.doc_languages.values()}) == 1 or other_language:
            hits = self._retrieve(q, k, self.settings.retrieval)  # type: ignore[arg-type]
        else:  # documents in several languages: the question's own, when it has any
            pool = self._retrieve(q, max(k, self.settings.candidates), self.settings.retrieval)  # type: ignore[arg-type]
            hits = [h for h in pool if self.doc_languages.get(h.passage.doc, self.texts.language) == locale.language][:k]
        # checked on the analysed text (its misspelled words corrected), under a safety notice too (quotes
        # after the notice are read as what to do: "our dog ate one of my pills" gets none on addiction);
        # in English only (word frequencies, stems and synonyms are English: a question in another
        # language is checked when it was searched through its glossary)
        checked = other_language or locale.language == "en"
        uncovered = self.uncovered(q.text, hits, locale if other_language else None) if checked else None
        return answer.compose(
            text, hits, safety=notice, texts=locale, titles=self.titles, uncovered=uncovered,
            min_score=self.settings.min_score, top_k=self.settings.top_k,
            addiction=safety.is_addiction_question(searched), searched_for=searched,
            other_language=documents_language, reviews=self.reviews, stale_months=self.settings.stale_months,
        )
