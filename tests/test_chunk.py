"""Passages are whole sentences, offsets match the source text exactly, and nothing is lost."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot import Settings
from bot.chunk import ITEM, PARAGRAPH, chunk_document, sentences
from bot.ingest import load_corpus, read_document
from bot.schema import Document, Section

SEED = Path(__file__).resolve().parents[1] / "corpus"


def words(text: str) -> int:
    return len(text.split())


@pytest.mark.parametrize("max_tokens", [80, 200, 400])
def test_seed_offsets_whole_sentences_and_coverage(max_tokens):
    (doc,), _ = load_corpus(SEED, max_file_mb=Settings().max_file_mb)
    passages = chunk_document(doc, words, max_tokens)
    assert passages
    ends = {e for s in doc.sections for _, e, _ in sentences(doc.text, s.start, s.end)}
    starts = {b for s in doc.sections for b, _, _ in sentences(doc.text, s.start, s.end)}
    for p in passages:
        assert doc.text[p.start : p.end] == p.text
        assert p.start in starts and p.end in ends, "a passage starts or ends inside a sentence"
        assert words(p.context) + 2 <= max_tokens + 1 or len(p.sentences) == 1
        for s, e in p.sentences:
            assert p.text[s:e].strip() == p.text[s:e] != ""
    # every non-space character of every section is in exactly one passage
    covered = [0] * len(doc.text)
    for p in passages:
        for i in range(p.start, p.end):
            covered[i] += 1
    for s in doc.sections:
        for i in range(s.start, s.end):
            assert covered[i] == (0 if doc.text[i].isspace() and covered[i] == 0 else 1)


def test_abbreviations_do_not_split_sentences():
    spans = list(sentences("Take 0.5 mg e.g. at night. Dr. Smith agrees. Ask first!"))
    text = "Take 0.5 mg e.g. at night. Dr. Smith agrees. Ask first!"
    assert [text[s:e] for s, e, _ in spans] == ["Take 0.5 mg e.g. at night.", "Dr. Smith agrees.", "Ask first!"]


def test_list_items_are_units_and_paragraph_ends_marked():
    text = "Symptoms include\n- joint aches\n- thick skin\n\nSee a doctor. Soon."
    got = [(text[s:e], end) for s, e, end in sentences(text)]
    assert got == [("Symptoms include", ITEM), ("- joint aches", ITEM), ("- thick skin", PARAGRAPH),
                   ("See a doctor.", 0), ("Soon.", PARAGRAPH)]


def test_sentence_longer_than_model_is_cut_between_words():
    long = " ".join(f"word{i}" for i in range(500)) + "."
    doc = Document("d.txt", "T", long, (Section("T", 0, len(long)),))
    passages = chunk_document(doc, words, 100)
    assert len(passages) > 1
    assert "".join(p.text + " " for p in passages).strip() == long
    assert all(words(p.context) + 2 <= 100 for p in passages)


def test_one_giant_word_is_cut():
    text = "x" * 50_000
    doc = Document("d.txt", "T", text, (Section("T", 0, len(text)),))
    passages = chunk_document(doc, lambda t: len(t) // 4 + 1, 200)
    assert "".join(p.text for p in passages) == text
    assert all(len(p.context) // 4 + 1 <= 200 for p in passages)



def test_a_cut_just_past_a_space_leaves_no_passage_ending_in_it():
    # found by tests/test_properties.py: with the model's window of characters per token, a cut
    # inside a run of long words could fall right after a space, and a passage ended with it
    text = ("Klonopin above) " + "0" * 12 + " " + "0" * 200 + ". the" + " Klonopin" * 9 + " the dose dose dose e.g. 24/7 "
            "1-800-222-1222 0 " + "0" * 200 + " " + "0" * 252 + " Klonopin Klonopin Klonopin Klonopin Klonopin. the"
            " Klonopin Klonopin Klonopin Klonopin Klonopin.")
    doc = Document("d.txt", "Title", text, (Section("Title", 0, len(text)),))
    passages = chunk_document(doc, words, 40)
    assert all(p.text == p.text.strip() and text[p.start:p.end] == p.text for p in passages)
    assert " ".join(p.text for p in passages).split() == text.split()  # every word in exactly one passage

def test_html_document_offsets(tmp_path):
    path = tmp_path / "a.html"
    path.write_text("<h1>A</h1><p>One. Two.</p><h2>B</h2><p>Three.</p>", encoding="utf-8")
    doc = read_document(path, "a.html")
    for p in chunk_document(doc, words, 50):
        assert doc.text[p.start : p.end] == p.text
    assert [(p.section, p.text) for p in chunk_document(doc, words, 50)] == [("A", "One. Two."), ("B", "Three.")]
