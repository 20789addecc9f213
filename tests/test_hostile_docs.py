"""Hostile and broken corpus files: quoted as inert text, or skipped with a warning naming the file.

A help desk drops whatever it has into `corpus/`: pages with scripts and `javascript:` links,
broken or encrypted PDFs, binary data, huge files, other encodings, symlinks that loop or lead
elsewhere. Each is handled on its own and the rest of the corpus is indexed.
"""

from __future__ import annotations

import os
import re
import time
from pathlib import Path

import pytest
from conftest import FakeEmbedder
from hostile import assert_inert, links

from bot import Bot, Settings
from bot.answer import compose
from bot.ingest import load_corpus, read_document, safe_url
from bot.locale import Locales
from bot.schema import Hit

SCRIPTY = (
    "<script>alert(document.cookie)</script> Melatonin helps some people sleep. "
    "[Click for a cure](javascript:alert(1)) and ![pixel](https://evil.example/p.png) and "
    "<img src=x onerror=alert(1)> and <a href=\"javascript:alert(2)\">more</a> at https://evil.example or www.evil.example."
)


@pytest.mark.parametrize(("value", "kept"), [
    ("https://example.org/page", True),
    ("  http://example.org/a?b=c&d=(e)  ", True),
    ("HTTPS://EXAMPLE.ORG/", True),
    ("javascript:alert(1)", False),
    ("JavaScript:alert(1)", False),
    (" java\tscript:alert(1)", False),
    ("data:text/html,<script>alert(1)</script>", False),
    ("vbscript:msgbox(1)", False),
    ("file:///etc/passwd", False),
    ("//evil.example/x", False),
    ("ftp://example.org/file", False),
    ("https://example.org/a b", False),
    ('https://example.org/"onmouseover="alert(1)', False),
    ("https://example.org/<script>", False),
    ("https://example.org/\\", False),
    ("https://example.org/\x00x", False),
    ("https://example.org/\nx", False),
    ("https://", False),
    (["https://example.org"], False),
    ({"href": "https://example.org"}, False),
    (42, False),
    (None, False),
])
def test_only_plain_http_urls_survive(value, kept):
    assert (safe_url(value) is not None) == kept


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_front_matter_urls_other_than_http_are_dropped(tmp_path):
    for i, url in enumerate(["javascript:alert(1)", "data:text/html;base64,PHNjcmlwdD4=", "file:///etc/passwd", "[1, 2]"]):
        doc = read_document(write(tmp_path / f"{i}.md", f"---\ntitle: T\nurl: {url}\n---\n# T\n\nText.\n"), f"{i}.md")
        assert doc.url is None and doc.title == "T"
    html = '<html><head><link rel="canonical" href="javascript:alert(1)"><title>T</title></head><body><p>Text.</p></body></html>'
    assert read_document(write(tmp_path / "p.html", html), "p.html").url is None


def test_front_matter_that_is_not_a_single_value_is_ignored(tmp_path):
    """A YAML alias bomb or a mapping where a title belongs must not become a giant or odd title."""
    levels = ["a: &a [x, x, x, x, x, x, x, x, x]"] + [
        f"{c}: &{c} [{', '.join(['*' + p] * 9)}]" for p, c in zip("abcdefg", "bcdefgh")
    ]
    text = "---\n" + "\n".join(levels) + "\ntitle: *h\nsource: {a: 1}\nreviewed: [2024]\n---\n# Real Title\n\nText.\n"
    began = time.perf_counter()
    doc = read_document(write(tmp_path / "bomb.md", text), "bomb.md")
    assert time.perf_counter() - began < 2
    assert (doc.title, doc.source, doc.reviewed) == ("Real Title", None, None)


def test_scripts_links_and_images_in_documents_are_quoted_as_inert_text(tmp_path):
    corpus = tmp_path / "corpus"
    write(corpus / "sleep.md", "---\ntitle: 'Sleep <img src=x onerror=alert(1)> [t](javascript:alert(1))'\n"
                               "url: https://example.org/sleep\n---\n# Sleep\n\n" + SCRIPTY + "\n\n"
                               "## <script>alert(1)</script> Melatonin dosing\n\nMelatonin tablets <b>come</b> in 1 mg.\n")
    write(corpus / "page.html", "<html><head><title>Naps &lt;script&gt;</title>"
                                "<link rel='canonical' href='javascript:alert(1)'></head><body>"
                                "<h1>Naps</h1><p>Melatonin &lt;script&gt;alert(1)&lt;/script&gt; is not for naps. "
                                "<a href='javascript:alert(1)'>Melatonin link</a> <img src=x onerror=alert(1)></p>"
                                "<script>document.write('melatonin')</script></body></html>")
    write(corpus / "<img src=x onerror=alert(1)> [x](javascript:alert(1)).txt",
          "Melatonin Notes\n\nMelatonin ![x](https://evil.example/x.png) is a hormone.\n")
    # every passage quoted: no threshold, and no coverage check (a fake embedder has no meaning to compare)
    settings = Settings.load(corpus=corpus, index=tmp_path / "index", min_score=-1.0, top_k=10, coverage_max_words=0)
    fake = FakeEmbedder()
    from bot.build import build

    report = build(settings, fake)
    assert report.skipped == () and report.documents == 3
    bot = Bot.load(settings.index, embedder=fake, settings=settings)
    texts = " ".join(p.text for p in bot.index.passages)
    for verbatim in ("<script>alert(document.cookie)</script>", "(javascript:alert(1))", "![pixel](https://evil.example/p.png)",
                     "<script>alert(1)</script>", "Melatonin link"):
        assert verbatim in texts  # quoted word for word ...
    assert "document.write" not in texts and "alert(2)" not in texts.replace(SCRIPTY, "")  # ... but HTML markup is not text
    assert {p.url for p in bot.index.passages} == {"https://example.org/sleep", None}
    answer = bot.ask("melatonin sleep naps hormone dosing")
    assert answer.status == "answered" and len(answer.hits) == len(bot.index.passages)
    assert_inert(answer.markdown, links(answer))
    assert {link.split("#")[0] for link in links(answer) if link.startswith("https")} == {"https://example.org/sleep"}
    # every passage, highlighted or not, with every section heading and title, is inert when quoted
    hits = [Hit(p, 0, 1.0, highlights=((0, len(p.text) // 2),)) for p in bot.index.passages]
    composed = compose("q", hits, safety=None, texts=Locales.load().default, titles=bot.titles, min_score=0, top_k=99)
    assert_inert(composed.markdown, links(composed))
    not_covered = compose("q", [], safety=None, texts=Locales.load().default, titles=bot.titles, min_score=0, top_k=3)
    assert not_covered.status == "no_answer" and "Sleep" in not_covered.markdown
    assert_inert(not_covered.markdown)


def make_pdf(path: Path, text: str, *, password: str | None = None, owner: str | None = None) -> Path:
    from pypdf import PdfReader, PdfWriter
    from reportlab.pdfgen import canvas

    c = canvas.Canvas(str(path))
    c.drawString(72, 720, text)
    c.showPage()
    c.save()
    if password is not None:
        writer = PdfWriter(clone_from=PdfReader(str(path)))
        writer.encrypt(user_password=password, owner_password=owner, algorithm="RC4-128")
        writer.write(str(path))
    return path


@pytest.fixture
def messy_corpus(tmp_path: Path) -> Path:
    """Two good documents among every kind of bad file; returns the corpus folder."""
    c = tmp_path / "corpus"
    write(c / "good.txt", "Hand Washing\n\nWash your hands with soap for twenty seconds.\n")
    write(c / "sub" / "good.md", "# Fever\n\nA fever is a temperature of 38 C or more.\n")
    make_pdf(c / "owner-only.pdf", "Store medicines out of reach of children.", password="", owner="owner-secret")
    make_pdf(c / "encrypted.pdf", "Secret page.", password="open-sesame")
    (c / "broken.pdf").write_bytes(b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n" + os.urandom(300))
    whole = make_pdf(tmp_path / "whole.pdf", "This PDF was cut in half.").read_bytes()
    (c / "truncated.pdf").write_bytes(whole[: len(whole) // 2])
    (c / "binary.txt").write_bytes(b"\x7fELF\x02\x01\x01\x00" + os.urandom(4000))
    (c / "noise.txt").write_bytes(bytes(range(0x80, 0x100)) * 20)  # no NUL, not UTF-8, not Windows-1252
    (c / "empty.txt").write_bytes(b"")
    (c / "blank.md").write_text("\n \n\t\n", encoding="utf-8")
    with (c / "huge.txt").open("wb") as f:  # sparse: 50 MB on paper, nothing on disk
        f.truncate(50 * 2**20)
    (c / "latin1.txt").write_bytes("Caf\xe9 Notes\n\nDrink d\xe9caf\xe9 after noon.\n".encode("cp1252"))
    write(c / "bad-yaml.md", "---\ntitle: [unclosed\n---\n# X\n\nText.\n")
    write(c / "deep.html", "<div>" * 20000 + "<p>Deeply nested advice: rest.</p>" + "</div>" * 20000)
    (c / "self-loop.txt").symlink_to("self-loop.txt")
    (c / "loop-a.md").symlink_to("loop-b.md")
    (c / "loop-b.md").symlink_to("loop-a.md")
    (c / "dangling.txt").symlink_to("does-not-exist.txt")
    write(tmp_path / "outside" / "secret.txt", "Private Notes\n\nThe admin password is hunter2.\n")
    (c / "outside.txt").symlink_to(tmp_path / "outside" / "secret.txt")
    (c / "sub" / "inside-link.txt").symlink_to("../good.txt")
    (c / "sub" / "dir-loop").symlink_to("..", target_is_directory=True)
    (c / "sub" / "outside-dir").symlink_to(tmp_path / "outside", target_is_directory=True)
    os.mkfifo(c / "fifo.txt")  # reading it would block forever
    (c / "fifo-link.txt").symlink_to("fifo.txt")
    return c


EXPECTED_SKIPS = {
    "encrypted.pdf": "encrypted",
    "broken.pdf": "not a readable PDF",
    "truncated.pdf": "not a readable PDF",
    "binary.txt": "binary",
    "noise.txt": "UTF-8",
    "empty.txt": "no text",
    "blank.md": "no text",
    "huge.txt": f"over the {Settings().max_file_mb:g} MB limit",
    "bad-yaml.md": "not valid YAML",
    "self-loop.txt": "loops",
    "loop-a.md": "loops",
    "loop-b.md": "loops",
    "dangling.txt": "points to nothing",
    "outside.txt": "out of the corpus folder",
    "fifo-link.txt": "not a regular file",
}
INDEXED = {"good.txt", "sub/good.md", "owner-only.pdf", "latin1.txt", "deep.html", "sub/inside-link.txt"}


def test_each_bad_file_is_skipped_with_a_warning_naming_it(messy_corpus, caplog):
    began = time.perf_counter()
    docs, warnings = load_corpus(messy_corpus, max_file_mb=Settings().max_file_mb)
    assert time.perf_counter() - began < 10  # the 50 MB file is not read, the deep page is linear
    assert {d.id for d in docs} == INDEXED
    assert len(warnings) == len(EXPECTED_SKIPS)
    for name, reason in EXPECTED_SKIPS.items():
        (warning,) = [w for w in warnings if w.startswith(f"skipped {name}: ")]
        assert reason in warning, warning
        assert "Traceback" not in warning and len(warning) < 300
    assert any("latin1.txt" in r.getMessage() and "Windows-1252" in r.getMessage() for r in caplog.records)
    text = " ".join(d.text for d in docs)
    assert "hunter2" not in text and "Secret page" not in text
    assert "Store medicines out of reach" in text and "Deeply nested advice: rest." in text


def test_the_rest_of_a_messy_corpus_is_indexed_and_stays_up_to_date(messy_corpus, tmp_path):
    from bot.build import build
    from bot.index import load

    settings = Settings.load(corpus=messy_corpus, index=tmp_path / "index")
    fake = FakeEmbedder()
    report = build(settings, fake)
    assert report.documents == len(INDEXED)
    assert {re.match(r"skipped (.*?): ", w).group(1) for w in report.skipped} == set(EXPECTED_SKIPS)
    assert {p.doc for p in load(settings.index, settings=settings).passages} == INDEXED
    again = build(settings, fake)
    assert again.up_to_date and again.skipped == report.skipped  # bad files do not force a rebuild each time
    (messy_corpus / "dangling.txt").unlink()
    write(messy_corpus / "dangling.txt", "Now Real\n\nThe link was replaced by a real file.\n")
    assert build(settings, fake).documents == len(INDEXED) + 1


def test_size_limit_can_be_changed(tmp_path):
    write(tmp_path / "c" / "a.txt", "Title\n\n" + "Words here. " * 20_000)
    assert load_corpus(tmp_path / "c", max_file_mb=1)[0]
    docs, warnings = load_corpus(tmp_path / "c", max_file_mb=0.1)
    assert docs == [] and "over the 0.1 MB limit" in warnings[0]


def test_a_huge_word_is_cut_in_linear_time():
    """A 100 KB base64 image in Markdown is one 'sentence' of one 'word': cutting it must not be quadratic."""
    import base64

    from bot.chunk import chunk_document
    from bot.ingest import _read_markdown

    blob = base64.b64encode(os.urandom(75_000)).decode()
    doc = _read_markdown(f"# Picture\n\nBefore.\n\n![x](data:image/png;base64,{blob})\n\nAfter.\n", "pic.md")
    seen = 0

    def count(text: str) -> int:  # about one word piece per four characters, like a real tokenizer on base64
        nonlocal seen
        seen += len(text)
        return len(re.findall(r"\w{1,4}|[^\w\s]", text))

    passages = chunk_document(doc, count, 200)
    assert all(count(p.context) <= 200 for p in passages)
    assert "".join(p.text for p in passages if p.section == "Picture").count(blob[:1000]) == 1
    assert seen < 50 * len(doc.text), f"counted {seen / len(doc.text):.0f} times the document's length"
