"""Dense search checked against brute force; fusion checked against its definition."""

from __future__ import annotations

import shutil
from dataclasses import replace

import numpy as np
import pytest
from conftest import SEED_CORPUS, use_store

from bot import Settings
from bot.build import build
from bot.index import load
from bot.query import Query, analyse
from bot.retrieve import Asked, Retriever, sentence_overlap, story_scale
from bot.schema import Passage
from bot.text import terms


def plain(text: str) -> Query:
    return Query(text, text, frozenset())


@pytest.fixture
def big_corpus(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    rng = np.random.default_rng(7)
    vocab = [f"term{i}" for i in range(150)]
    for d in range(37):  # an odd size on purpose
        sections = "\n\n".join(
            f"Part {s}\n\n" + " ".join(rng.choice(vocab, size=12)) + "." for s in range(3)
        )
        (corpus / f"doc{d:02}.txt").write_text(f"Document {d}\n\n{sections}\n", encoding="utf-8")
    return corpus


@pytest.mark.parametrize("k", [1, 5, 17])
def test_dense_matches_brute_force(tmp_path, big_corpus, fake, k, store):
    settings = use_store(Settings.load(corpus=big_corpus, index=tmp_path / "index", candidates=200), store)
    build(settings, fake)
    index = load(settings.index, settings=settings)
    retriever = Retriever(index, fake, settings)
    matrix = fake.embed([p.context for p in index.passages])
    for query in ["term3 term77", "term140 term2 term9", "nothing matches zzz"]:
        q = fake.embed([query])[0]
        hits = retriever.search(plain(query), q, k=k, mode="dense")
        expected = np.argsort(-(matrix @ q), kind="stable")[:k]
        assert [h.score for h in hits] == pytest.approx(list((matrix @ q)[expected]), abs=1e-5)
        # k different passages, each with the cosine reported: the k best there are (whichever of a tie)
        assert len({(h.passage.doc, h.passage.start) for h in hits}) == k
        for h in hits:
            assert h.score == pytest.approx(float(fake.embed([h.passage.context])[0] @ q), abs=1e-5)


def test_fusion_is_reciprocal_rank(tmp_path, big_corpus, fake, store):
    settings = use_store(Settings.load(corpus=big_corpus, index=tmp_path / "index", candidates=20, rrf_k=60), store)
    build(settings, fake)
    index = load(settings.index, settings=settings)
    retriever = Retriever(index, fake, settings)
    query = "term3 term77 term12"
    q = fake.embed([query])[0]
    dense = index.store.search(q, 20)[0]
    lexical = list(retriever.lexical(query, 20))
    assert lexical, "BM25 finds passages sharing the query's words"
    expected: dict[int, float] = {}
    for ranking in (dense, lexical):
        for r, pid in enumerate(ranking):
            expected[pid] = expected.get(pid, 0) + 1 / (60 + r + 1)
    hits = retriever.search(plain(query), q, k=10, mode="rrf")
    assert [h.fused for h in hits] == pytest.approx(sorted(expected.values(), reverse=True)[:10])
    for h in hits:
        assert h.score == pytest.approx(float(fake.embed([h.passage.context])[0] @ q), abs=1e-5)


def test_bm25_prefers_passages_with_rare_query_words(tmp_path, fake, store):
    corpus = tmp_path / "c"
    corpus.mkdir()
    (corpus / "a.txt").write_text("Alpha\n\nInsomnia and nausea are withdrawal symptoms.\n", encoding="utf-8")
    (corpus / "b.txt").write_text("Beta\n\nBananas are yellow fruit.\n", encoding="utf-8")
    settings = use_store(Settings.load(corpus=corpus, index=tmp_path / "i"), store)
    build(settings, fake)
    retriever = Retriever(load(settings.index, settings=settings), fake, settings)
    assert [retriever.index.passages[i].doc for i in retriever.lexical("what causes insomnia?", 5)] == ["a.txt"]
    assert retriever.lexical("the and of", 5) == {}



QUESTIONS = ["What are the withdrawal symptoms of Klonopin?", "how long does klonopin withdrawal last",
             "how many people get dependent on klonopin", "Klonopin overdose signs", "is klonopin addictive",
             "treatment for klonopin addiction", "term3 term17 term42", "Part 2 term99 how long", "what causes term5",
             "my daughter has been taking klonopin for two years and now she wants to stop because she is pregnant "
             "and scared, how long does klonopin withdrawal last and what are the symptoms she should watch for",
             "is it ok to drink a beer on klonopin", "cant sleep since quitting klonopin, is that normal"]


class Counting:
    """Passages that count how many are read (what the early stop saves)."""

    def __init__(self, passages) -> None:  # type: ignore[no-untyped-def]
        self.passages, self.read = passages, 0

    def __len__(self) -> int:
        return len(self.passages)

    def __getitem__(self, i):  # type: ignore[no-untyped-def]
        return self.passages[i]

    def get(self, ids):  # type: ignore[no-untyped-def]
        self.read += len(ids)
        return [self.passages[i] for i in ids]


@pytest.mark.parametrize("k", [1, 3, 10])
def test_the_hybrid_skips_only_candidates_that_cannot_reach_the_best_k(tmp_path, big_corpus, fake, k):
    """Scoring candidates in order of their bound (text-free part, and at most the share of the
    question's terms each holds) and stopping early gives exactly the best k of the full feature
    table (ties broken by id), on questions with and without an asked aspect or answer type, and
    reads fewer passages than there are candidates."""
    shutil.copy(SEED_CORPUS / "klonopin-addiction-treatment.txt", big_corpus)
    settings = Settings.load(corpus=big_corpus, index=tmp_path / "index", candidates=40)
    build(settings, fake)
    loaded = load(settings.index, settings=settings)
    counting = Counting(loaded.passages)
    index = replace(loaded, passages=counting)
    retriever = Retriever(index, fake, settings)
    base = np.array([1.0, settings.lexical_weight, settings.aspect_weight, settings.answer_type_weight,
                     settings.sentence_weight, settings.sentence_cosine_weight])
    read, candidates, synonyms = 0, 0, 0
    for text in QUESTIONS:
        q = analyse(text, index.words, frozenset(), index.lexical.vocabulary)
        synonyms += bool(Asked.of(q).instead)  # a word the documents never use, its synonym in a sentence
        words = len(q.text.split())  # a story's word signals weigh story_words / words of theirs
        weights = base * np.array([1.0] + [min(1.0, settings.story_words / words)] * 5)
        v = fake.embed([q.text])[0]
        before = counting.read
        hits = retriever.search(q, v, k=k)
        read += counting.read - before - len(hits)  # the hits themselves are read again to be returned
        cosine = dict(zip(*index.store.search(v, settings.candidates)))
        lexical = retriever.lexical(q.lexical, settings.candidates)
        pids, table = retriever.features(q, v, cosine, lexical, sentences=settings.sentence_cosine_weight != 0)
        candidates += len(pids)
        full = dict(zip(pids, (table @ weights).tolist()))
        expected = sorted(full, key=lambda pid: (-full[pid], pid))[:k]
        assert [h.pid for h in hits] == expected, text
        assert [h.fused for h in hits] == pytest.approx([full[pid] for pid in expected], abs=1e-12)
    assert read < candidates
    assert synonyms >= 2


def test_a_sentence_holds_a_question_word_as_itself_or_as_its_synonym():
    q = analyse("is it ok to drink a beer on klonopin", {"klonopin": 3, "alcohol": 1}, frozenset(), {"klonopin": 0, "alcohol": 1})
    asked = Asked.of(q)
    assert asked.terms == {"ok", "drink", "beer", "klonopin"}
    assert dict(q.synonyms)["beer"] and any(o == {"alcohol"} for _, options in asked.instead for o in options)
    said = tuple(frozenset(terms(t)) for t in ("Klonopin is mixed with alcohol.", "Drink water.", "Nothing here."))
    assert sentence_overlap(asked, said) == 3 / 4  # klonopin, and drink and beer as alcohol: one sentence
    assert sentence_overlap(Asked(asked.terms), said) == 1 / 4  # without synonyms, "klonopin" alone
    assert sentence_overlap(asked, (frozenset(terms("alcohol beer drink ok klonopin")),)) == 1.0  # each counted once
    assert {"beer", "alcohol"} <= next(g for g in asked.groups() if "beer" in g) and {"ok"} in asked.groups()


def test_sentence_terms_analyse_each_sentence_as_terms_does():
    """The sentences' terms come from one stemmer call for the whole passage: the oracle is
    `terms` sentence by sentence."""
    from bot.retrieve import sentence_terms
    from bot.text import bm25_tokens, terms

    text = "Klonopin's effects last hours. Users CAN'T stop easily! Withdrawal: insomnia, nausea.  x"
    spans = ((0, 30), (31, 58), (59, 87), (87, len(text)))
    passage = Passage("d.md", "T", "S", None, 0, len(text), text, sentences=spans)
    assert sentence_terms(passage) == tuple(frozenset(terms(text[a:b])) for a, b in spans)
    assert bm25_tokens([]) == [] and bm25_tokens(["", "a b", "Running dogs"]) == [[], [], terms("Running dogs")]


def test_bm25_tokens_stem_each_word_once_and_match_terms_past_the_bound(monkeypatch):
    """Stems of the words met before come from a table; past its bound the stemmer does all: the
    oracle for both is `terms`, text by text."""
    from bot import text as analyser

    texts = ["Headaches and hallucinations, sleeplessness", "the headaches came back", "Zyxqulating newly"]
    first = analyser.bm25_tokens(texts)
    assert first == [analyser.terms(t) for t in texts] and analyser._KNOWN["hallucinations"] == "hallucin"
    assert analyser.bm25_tokens(texts) == first  # from the table
    monkeypatch.setattr(analyser, "_KNOWN_MOST", 0)
    known = len(analyser._KNOWN)
    assert analyser.bm25_tokens(texts + ["Unseenword stemming"]) == [analyser.terms(t) for t in texts + ["Unseenword stemming"]]
    assert len(analyser._KNOWN) == known and "unseenword" not in analyser._KNOWN

def test_terms_split_words_as_bm25s_does():
    """`text._TERM` is a faster spelling of bm25s's own token pattern: the same words come out."""
    import re

    from bot.text import _TERM

    bm25s = re.compile(r"(?u)\b\w\w+\b")
    for text in ("a b cd", "x_y z1 9", "Klonopin's 2mg-tabs", "é ÉTÉ ßs 中文 İi", "a\u0301b cafe\u0301", "", "__ _a b_"):
        assert _TERM.findall(text) == bm25s.findall(text)
        assert _TERM.findall(text.lower()) == bm25s.findall(text.lower())


def test_a_story_weighs_its_word_signals_less_in_proportion_to_its_length():
    assert story_scale(8, 20) == 1.0 and story_scale(20, 20) == 1.0
    assert story_scale(40, 20) == 0.5 and story_scale(25, 20) == pytest.approx(0.8)
    assert story_scale(400, 0) == 1.0  # 0 turns the scaling off


def test_holding_counts_the_terms_each_passage_holds_as_a_scan_of_the_passages_does(tmp_path, big_corpus, fake):
    from bot.text import bm25_tokens, terms

    settings = Settings.load(corpus=big_corpus, index=tmp_path / "index")
    build(settings, fake)
    index = load(settings.index, settings=settings)
    passages = list(index.passages)
    held = [set(t) for t in bm25_tokens([p.context for p in passages])]  # the oracle: every passage analysed
    pids = list(range(len(passages)))[::-1]  # any order
    for text in QUESTIONS + ["zzzunknown words only", "symptoms symptoms symptom"]:
        asked = set(terms(text))
        assert index.lexical.holding([{t} for t in asked], pids).tolist() == [len(asked & held[pid]) for pid in pids], text
    assert index.lexical.holding([], pids).tolist() == [0] * len(pids)
    groups = [{"klonopin", "term3"}, {"alcohol", "zzzunknown"}, {"term3"}, {"zzz", "yyy"}, {"withdraw", "overdos", "term9"},
              {"term3"}]  # two asked terms may have the same group: each counts
    assert index.lexical.holding(groups, pids).tolist() == [sum(bool(g & held[pid]) for g in groups) for pid in pids]


@pytest.mark.model
def test_a_sentence_saying_the_synonym_of_an_unused_word_ranks_its_passage_first(seed_bot):
    """The document never says "beer"; its one sentence on mixing Klonopin says "alcohol". Counted
    as the question's word in that sentence, it puts the overdose passage before the overview
    (which an aspect-less question favours)."""
    answer = seed_bot.ask("is it ok to drink a beer if i took my klonopin this morning")
    assert answer.status == "answered" and answer.hits[0].passage.section == "Klonopin Overdose Symptoms"
    assert "mixed with alcohol" in answer.hits[0].passage.text
