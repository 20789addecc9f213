"""The Sources panel: each passage inside the document text around it, located, and escaped."""

from __future__ import annotations

from pathlib import Path

from bot import Hit
from bot.chunk import chunk_document
from bot.ingest import read_document
from bot.sources import CONTEXT, Sources

DOC = """Storage Facts

Keep tablets dry. Store them below 25 °C in the original pack, away from children.

Labels

Some labels print <b>bold</b> warnings and even <script>alert(1)</script> text, which must stay text.
Never use a tablet after the date printed on the label.

Disposal

Take unused tablets back to a pharmacy. """ + "Do not flush them. " * 30


def passages(corpus: Path):
    doc = read_document(corpus / "storage.txt", "storage.txt")
    return doc, chunk_document(doc, lambda text: len(text.split()), 40)


def test_context_is_the_document_text_around_the_passage(tmp_path: Path):
    (tmp_path / "storage.txt").write_text(DOC)
    doc, ps = passages(tmp_path)
    sources = Sources(tmp_path, ps)
    for p in ps:
        before, after, line = sources.around(p)
        assert doc.text[p.start:p.end] == p.text
        assert doc.text[:p.start].endswith(before.removeprefix("…"))
        assert doc.text[p.end:].startswith(after.removesuffix("…"))
        assert len(before) <= CONTEXT + 1 and len(after) <= CONTEXT + 1
        assert line == doc.text.count("\n", 0, p.start) + 1
    assert sources.around(ps[0])[0] == doc.text[:ps[0].start]  # the start of a document is not cut


def test_html_in_a_document_is_escaped_in_the_panel(tmp_path: Path):
    (tmp_path / "storage.txt").write_text(DOC)
    _, ps = passages(tmp_path)
    label = next(p for p in ps if "<b>" in p.text)
    md = Sources(tmp_path, ps).markdown([Hit(label, 1, 0.9)])
    assert "<b>" not in md and "<script>" not in md
    assert "&lt;b&gt;bold&lt;/b&gt;" in md and "&lt;script&gt;alert(1)&lt;/script&gt;" in md
    assert md.startswith("**[1] Storage Facts › Labels**  \nstorage.txt · line ")


def test_a_changed_document_falls_back_to_the_neighbouring_passages(tmp_path: Path):
    (tmp_path / "storage.txt").write_text(DOC)
    _, ps = passages(tmp_path)
    (tmp_path / "storage.txt").write_text("Rewritten since the index was built.")
    middle = next(i for i, p in enumerate(ps) if "<b>" in p.text)
    before, after, line = Sources(tmp_path, ps).around(ps[middle])
    assert line is None
    assert ps[middle - 1].text.endswith(before.strip().removeprefix("…"))
    assert ps[middle + 1].text.startswith(after.strip().removesuffix("…"))


class RowsOnly(list):
    """Passages that may be read by row, never all of them (as from Milvus on a replica)."""

    def __iter__(self):
        raise AssertionError("every passage was read to find two neighbours")


def test_a_changed_document_with_known_rows_reads_only_the_two_neighbours(tmp_path: Path):
    (tmp_path / "storage.txt").write_text(DOC)
    _, ps = passages(tmp_path)
    (tmp_path / "storage.txt").write_text("Rewritten since the index was built.")
    middle = next(i for i, p in enumerate(ps) if "<b>" in p.text)
    rows = RowsOnly(ps)
    assert Sources(tmp_path, rows).around(ps[middle], middle) == Sources(tmp_path, ps).around(ps[middle])


def test_a_document_outside_the_corpus_is_never_read(tmp_path: Path):
    (tmp_path / "secret.txt").write_text("Secret\n\nDo not show this.")
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "storage.txt").write_text(DOC)
    _, ps = passages(corpus)
    sources = Sources(corpus, ps)
    assert sources.document("../secret.txt") is None
    assert sources.document("storage.txt") is not None
