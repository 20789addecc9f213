"""Properties of ingest and chunk over generated documents (Hypothesis).

For any text: every passage is `document.text[start:end]` exactly, none is empty or padded with
spaces, none is over the token budget (with a simple word counter and with the real model's
tokenizer), passages stay inside their section and in order, and every non-space character of
every section is in some passage. Ingest: sections lie inside the text, in order, and the text
is the file's own (after the front matter).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.chunk import chunk_document
from bot.embed import SentenceTransformerEmbedder
from bot.ingest import read_document
from bot.schema import Document, Section

MAX_TOKENS = 200
FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def words(text: str) -> int:
    """A simple token counter: one token per run of non-space characters."""
    return len(text.split())


@pytest.fixture(scope="module")
def tokenizer() -> tuple:
    """The real model's word-piece counter (no torch needed) and its sequence limit."""
    embedder = SentenceTransformerEmbedder()
    limit = json.loads((embedder.path / "sentence_bert_config.json").read_text())["max_seq_length"]
    return embedder.count_tokens, limit


# --- generated text ---------------------------------------------------------------------------

_ANY_CHAR = st.characters(codec="utf-8", exclude_categories=("Cs",))  # anything a file can hold
_WORD_CHAR = st.characters(codec="utf-8", exclude_categories=("Cs", "Cc", "Zs", "Zl", "Zp"))
word = st.one_of(
    st.sampled_from(["Klonopin", "the", "dose", "Dr.", "e.g.", "0.5", "mg.", "U.S.", "(see", "above)", "—", "“quoted”",
                     "children's", "24/7", "1-800-222-1222", "https://example.org/a.b", "naïve", "東京", "مرحبا", "👍🏽"]),
    st.text(_WORD_CHAR, min_size=1, max_size=12),
)
long_word = st.text(st.sampled_from("abcdefghij0123456789+/="), min_size=200, max_size=1200)
sentence = st.builds(lambda ws, end: " ".join(ws) + end, st.lists(st.one_of(word, word, word, word, word, word, long_word),
                                                                  min_size=1, max_size=25),
                     st.sampled_from([".", ".", "!", "?", "", ":", "…", ".)"]))
paragraph = st.builds(" ".join, st.lists(sentence, min_size=1, max_size=5))
list_block = st.builds(lambda items, marker: "\n".join(f"{marker} {s}" for s in items),
                       st.lists(sentence, min_size=1, max_size=6), st.sampled_from(["-", "*", "1.", "•"]))
blocks = st.lists(st.one_of(paragraph, paragraph, list_block), min_size=1, max_size=4)
body = st.builds(lambda parts, sep: sep.join(parts), blocks,
                 st.sampled_from(["\n\n", "\n \n", "\n\n\n", "\n"]))
heading = st.builds(" ".join, st.lists(st.text(st.characters(codec="utf-8", categories=("L", "N")), min_size=1, max_size=10),
                                       min_size=1, max_size=8))


def check_passages(doc: Document, count, max_tokens: int = MAX_TOKENS, limit: int | None = None) -> None:  # type: ignore[no-untyped-def]
    passages = chunk_document(doc, count, max_tokens)
    covered = bytearray(len(doc.text))
    for p in passages:
        assert doc.text[p.start : p.end] == p.text
        assert p.text.strip() and p.text == p.text.strip()
        (section,) = [s for s in doc.sections if s.heading == p.section and s.start <= p.start and p.end <= s.end]
        assert section
        header_fits = count(f"{doc.title} › {p.section}") + 3 <= max_tokens - 16
        if header_fits:
            assert count(p.context) + 2 <= max_tokens, (count(p.context), p.context[:200])
        if limit is not None:
            assert count(p.context) + 2 <= limit, "the model would cut this passage"
        for s, e in p.sentences:
            assert 0 <= s < e <= len(p.text)
        covered[p.start : p.end] = b"\x01" * (p.end - p.start)
    starts = [(p.start, p.end) for p in passages]
    assert all(a[1] <= b[0] for a, b in zip(starts, starts[1:])), "passages overlap or are out of order"
    for section in doc.sections:
        missing = [i for i in range(section.start, section.end) if not covered[i] and not doc.text[i].isspace()]
        assert not missing, f"characters {doc.text[missing[0]:missing[0] + 20]!r}… of {section.heading!r} are in no passage"


def one_section(text: str, title: str = "Title") -> Document:
    return Document("x.txt", title, text, (Section(title, 0, len(text)),))


# --- chunk ------------------------------------------------------------------------------------

@FAST
@given(st.text(_ANY_CHAR, max_size=3000))
def test_any_text_simple_counter(text):
    check_passages(one_section(text), words)


@FAST
@given(st.lists(st.one_of(body, st.text(_ANY_CHAR, max_size=400)), min_size=1, max_size=4))
def test_structured_text_simple_counter(bodies):
    text = "\n\n".join(bodies)
    check_passages(one_section(text), words, max_tokens=40)


@FAST
@given(st.text(_ANY_CHAR, max_size=2000))
def test_any_text_real_tokenizer(tokenizer, text):
    count, limit = tokenizer
    check_passages(one_section(text), count, limit=limit)


@FAST
@given(st.lists(body, min_size=1, max_size=3), heading)
def test_structured_text_real_tokenizer(tokenizer, bodies, title):
    count, limit = tokenizer
    check_passages(one_section("\n\n".join(bodies), title), count, limit=limit)


# --- ingest -> chunk --------------------------------------------------------------------------

def _txt(title: str, sections: list[tuple[str, str]]) -> str:
    return f"{title}\n\n" + "".join(f"{h}\n\n{b}\n\n" for h, b in sections)


def _md(title: str, sections: list[tuple[str, str]]) -> str:
    return f"---\ntitle: {json.dumps(title)}\nurl: https://example.org/x\n---\n" + "".join(
        f"{'#' * (1 + i % 3)} {h}\n\n{b}\n\n" for i, (h, b) in enumerate(sections))


def _html(title: str, sections: list[tuple[str, str]]) -> str:
    from html import escape

    parts = "".join(f"<h2>{escape(h)}</h2>" + "".join(f"<p>{escape(p)}</p>" for p in b.split("\n\n")) for h, b in sections)
    return f"<html><head><title>{escape(title)}</title></head><body><nav>Menu</nav>{parts}</body></html>"


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                                          HealthCheck.function_scoped_fixture])
@given(st.sampled_from([("txt", _txt), ("md", _md), ("html", _html)]), st.one_of(heading, sentence),
       st.lists(st.tuples(st.one_of(heading, heading, long_word), st.one_of(body, body, st.text(_ANY_CHAR, max_size=200))),
                min_size=1, max_size=3),
       st.sampled_from(["\n", "\r\n"]))
def test_ingested_documents(tmp_path, tokenizer, fmt, title, sections, newline):
    (suffix, render), (count, limit) = fmt, tokenizer
    raw = render(title, sections)
    if newline == "\r\n" and suffix != "html":
        raw = raw.replace("\n", "\r\n")
    path = Path(tmp_path) / f"doc.{suffix}"
    path.write_bytes(raw.encode("utf-8"))
    if "\x00" in raw[:8192]:  # a NUL near the start means binary data: refused, by design
        with pytest.raises(ValueError, match="binary"):
            read_document(path, path.name)
        return
    doc = read_document(path, path.name)
    if suffix != "html":
        assert raw.endswith(doc.text)  # the text is the file's own, so quotes are verbatim
    bounds = [(s.start, s.end) for s in doc.sections]
    for s in doc.sections[1:] if suffix != "html" else ():  # a heading sits right above its section
        assert doc.text[: s.start].rstrip().endswith(s.heading), (s.heading, doc.text[max(0, s.start - 60) : s.start])
    assert all(0 <= s <= e <= len(doc.text) for s, e in bounds)
    assert all(a[1] <= b[0] for a, b in zip(bounds, bounds[1:]))
    if suffix == "html":  # every paragraph's words are in the text, under its heading
        for h, b in sections:
            h = " ".join(h.split())
            assert h in [s.heading for s in doc.sections] if len(h) <= 100 else h in doc.text  # too long: a paragraph
            for para in b.split("\n\n"):
                assert " ".join(para.split()) in doc.text
    check_passages(doc, count, limit=limit)
    check_passages(doc, words)


@pytest.mark.parametrize("name", ["long.md", "long.txt", "long.html", "title.md", "para.txt"])
def test_over_long_headings_and_titles_still_fit_the_model(tmp_path, tokenizer, name):
    """A 300-word heading or title must not push the passages under it past what the model reads."""
    count, limit = tokenizer
    long = " ".join(["Symptoms"] * 300)
    text = {
        "long.md": f"# Title\n\n## {long}\n\nKlonopin withdrawal can cause insomnia.\n",
        "long.txt": f"Title\n\n{'x' * 300}\n\nKlonopin withdrawal can cause insomnia.\n",
        "long.html": f"<h1>Title</h1><h2>{long}</h2><p>Klonopin withdrawal can cause insomnia.</p>",
        "title.md": f"---\ntitle: {long}\n---\nKlonopin withdrawal can cause insomnia.\n",
        "para.txt": f"{long}.\n\nKlonopin withdrawal can cause insomnia.\n",
    }[name]
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    doc = read_document(path, name)
    assert len(doc.title) <= 100 and all(len(s.heading) <= 100 for s in doc.sections)
    check_passages(doc, count, limit=limit)
    assert "Klonopin withdrawal can cause insomnia." in " ".join(p.text for p in chunk_document(doc, count, MAX_TOKENS))
