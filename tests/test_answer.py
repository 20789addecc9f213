"""The JSON contract, quoting, highlights, escaping, abstention and input checks (fake embedder)."""

from __future__ import annotations

import json
import re
from dataclasses import replace

import pytest
from conftest import use_store

from bot import Bot, Settings
from bot.answer import escape
from bot.build import build
from bot.schema import Hit, Passage

KEYS = {"question", "status", "safety", "passages", "markdown", "disclaimer", "language", "uncovered", "parts"}
PASSAGE_KEYS = {"rank": int, "score": float, "text": str, "highlights": list, "doc": str, "title": str,
                "section": str, "url": (str, type(None)), "start": int, "end": int, "link": str,
                "reviewed": (str, type(None)), "review_by": (str, type(None)), "stale": bool}


@pytest.fixture
def bot(settings, fake, store):
    settings = use_store(settings, store)
    build(settings, fake)
    return Bot.load(settings=settings, embedder=fake)


def test_contract_keys_and_types(bot):
    data = json.loads(json.dumps(bot.ask("What are the withdrawal symptoms of Klonopin?").to_dict()))
    assert set(data) == KEYS
    assert data["status"] == "answered" and data["safety"] is None
    assert 1 <= len(data["passages"]) <= 3
    source = (bot.settings.corpus / "klonopin-addiction-treatment.txt").read_text(encoding="utf-8")
    for rank, p in enumerate(data["passages"], 1):
        assert set(p) == set(PASSAGE_KEYS)
        for key, kind in PASSAGE_KEYS.items():
            assert isinstance(p[key], kind), key
        assert p["rank"] == rank
        assert source[p["start"] : p["end"]] == p["text"]
        # no url: the citation opens the app's source view on this passage, relative to the app
        assert p["link"] == f"/source/klonopin-addiction-treatment.txt?passage={p['start']}-{p['end']}#passage"
        assert f"]({p['link']})" in data["markdown"]
        assert p["highlights"] and all(0 <= s < e <= len(p["text"]) for s, e in p["highlights"])
        assert f"[{rank}]" in data["markdown"]
    assert data["disclaimer"] and data["markdown"].rstrip().endswith(f"*{escape(data['disclaimer'])}*")
    assert "not medical advice" in data["disclaimer"].lower()


def test_highlight_is_the_sentence_closest_to_the_question_never_one_for_its_number():
    from bot.answer import highlights

    text = ("Klonopin is rarely prescribed for more than two to four weeks. "
            "Withdrawal symptoms include insomnia, nausea and headaches.")
    passage = Passage("d.txt", "Klonopin", "Withdrawal", None, 0, len(text), text, ((0, 62), (63, len(text))))
    assert text[63:] == "Withdrawal symptoms include insomnia, nausea and headaches."
    question = "how long do withdrawal symptoms last?"
    assert highlights(question, Hit(passage, 1, 0.7, sentence_scores=(0.30, 0.62))) == ((63, len(text)),)
    # the sentence's meaning and the question's words decide; its number does not
    assert highlights("how long does it last", Hit(passage, 1, 0.7, sentence_scores=(0.30, 0.62))) == ((63, len(text)),)
    assert highlights(question, Hit(passage, 1, 0.7, sentence_scores=(0.95, 0.10))) == ((0, 62),)
    # a hit made by hand, without sentence scores: the sentence sharing the most question words
    assert highlights(question, Hit(passage, 1, 0.7)) == ((63, len(text)),)
    assert highlights("unrelated", Hit(passage, 1, 0.7)) == ((0, 62),)  # none shared: the first


def test_a_how_many_question_bolds_the_sentence_saying_how_many_of_what_it_asks():
    from bot.answer import highlights

    text = ("Klonopin can make users dependent and is extremely addictive. "
            "Dependence develops in approximately 33% of users who take it as prescribed. "
            "It is prescribed for 2 weeks in 90% of cases.")
    spans = ((0, 61), (62, 138), (139, len(text)))
    passage = Passage("d.txt", "Klonopin", "Klonopin", None, 0, len(text), text, spans)
    assert text[62:138] == "Dependence develops in approximately 33% of users who take it as prescribed."
    scores = (0.70, 0.55, 0.40)  # the model prefers the first; the words are alike
    assert highlights("how many people become dependent", Hit(passage, 1, 0.7, sentence_scores=scores)) == ((62, 138),)
    assert highlights("do people become dependent", Hit(passage, 1, 0.7, sentence_scores=scores)) == ((0, 61),)
    # a count that holds none of the question's words is not its answer
    assert highlights("how many become sleepy", Hit(passage, 1, 0.7, sentence_scores=(0.70, 0.55, 0.69))) == ((0, 61),)


def test_a_question_word_is_found_in_a_sentence_as_one_of_its_synonyms():
    from bot.answer import highlights

    text = ("It is indicated for the treatment of panic attacks. "
            "Physical dependence develops in a third of users.")
    passage = Passage("d.txt", "Klonopin", "Klonopin", None, 0, len(text), text, ((0, 51), (52, len(text))))
    assert text[52:] == "Physical dependence develops in a third of users."
    # "addicted" is in the synonym table with "dependence": the second sentence holds it, the first does not
    scores = (0.52, 0.50)
    assert highlights("will she get addicted", Hit(passage, 1, 0.7, sentence_scores=scores)) == ((52, len(text)),)
    assert highlights("will she get sleepy", Hit(passage, 1, 0.7, sentence_scores=scores)) == ((0, 51),)


def test_no_answer_names_what_documents_cover(settings, fake, store):
    settings = use_store(settings, store)
    build(settings, fake)
    strict = Bot.load(settings=replace(settings, min_score=0.99), embedder=fake)
    answer = strict.ask("How do I reset my wifi router?")
    assert answer.status == "no_answer" and answer.hits == ()
    assert "Facts About Klonopin Addiction Treatment" in answer.markdown
    assert answer.disclaimer in answer.markdown.replace("\\", "")


@pytest.mark.parametrize("question", ["", "   \n\t ", "?!?...", "\x00\x01\x02", "\u202e\u200b"])
def test_unusable_input_is_invalid_with_help(bot, fake, question):
    calls = fake.calls
    answer = bot.ask(question)
    assert answer.status == "invalid" and "Please type a question" in answer.markdown
    assert fake.calls == calls, "no model work for unusable input"


def test_too_long_is_invalid_before_any_model_work(bot, fake):
    calls = fake.calls
    answer = bot.ask("klonopin " * 100_000)
    assert answer.status == "invalid" and "limit is 2,000" in answer.markdown
    assert fake.calls == calls and len(answer.question) < 300


def test_lone_surrogates_and_controls_are_cleaned(bot):
    answer = bot.ask("klonopin\ud800 withdrawal\x07 symptoms\u202e")
    json.dumps(answer.to_dict(), ensure_ascii=False).encode("utf-8")  # must be encodable
    assert answer.status == "answered"


def test_documents_with_markup_are_quoted_inert(tmp_path, fake, store):
    corpus = tmp_path / "c"
    corpus.mkdir()
    (corpus / "evil.md").write_text(
        "---\ntitle: Evil <b>Page</b>\n---\n# Evil\n\nKlonopin facts <script>alert(1)</script> "
        "[click](javascript:alert(1)) ![img](http://x.example/a.png) see https://x.example now.\n",
        encoding="utf-8")
    s = use_store(Settings.load(corpus=corpus, index=tmp_path / "i", min_score=0.0), store)
    build(s, fake)
    md = Bot.load(settings=s, embedder=fake).ask("klonopin facts").markdown
    assert "<script>" not in md and "&lt;script&gt;" in md
    assert not re.search(r"(?<!\\)\]\(javascript", md) and "![img](" not in md and "https://x" not in md
    assert "Evil &lt;b&gt;Page&lt;/b&gt;" in md


def test_escape_round_trip_characters():
    assert escape("a*b_c [x](y) <i> & # h") == "a\\*b\\_c \\[x\\](y) &lt;i&gt; &amp; # h"
    assert escape("# top") == "\\# top"


def test_near_identical_passages_are_quoted_once(tmp_path, fake, store):
    corpus = tmp_path / "c"
    corpus.mkdir()
    boiler = "This condition is inherited in an autosomal recessive pattern, which means both copies of the gene are altered."
    for name in ("a", "b", "c"):
        (corpus / f"{name}.md").write_text(f"---\ntitle: Disease {name.upper()}\n---\n# Inheritance\n\n{boiler}\n",
                                           encoding="utf-8")
    (corpus / "d.md").write_text("---\ntitle: Other\n---\n# Inheritance\n\nSome conditions are inherited from one parent.\n",
                                 encoding="utf-8")
    s = use_store(Settings.load(corpus=corpus, index=tmp_path / "i", min_score=0.0), store)
    build(s, fake)
    answer = Bot.load(settings=s, embedder=fake).ask("how is this condition inherited?")
    texts = [h.passage.text for h in answer.hits]
    assert texts.count(boiler) == 1 and len(texts) == 2
    assert [h.rank for h in answer.hits] == [1, 2]
