"""Each input format → Document with exact sections; unreadable files skipped with a warning naming them."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot import Settings
from bot.ingest import load_corpus, read_document

SEED = Path(__file__).resolve().parents[1] / "corpus" / "klonopin-addiction-treatment.txt"


def body(doc, heading):
    (section,) = [s for s in doc.sections if s.heading == heading]
    return doc.text[section.start : section.end].strip()


def test_seed_txt_title_and_headings():
    doc = read_document(SEED, SEED.name)
    assert doc.id == "klonopin-addiction-treatment.txt"
    assert doc.title == "Facts About Klonopin Addiction Treatment"
    assert [s.heading for s in doc.sections] == [
        "Facts About Klonopin Addiction Treatment",
        "Risks and Warning Signs",
        "Klonopin Withdrawal Symptoms",
        "Klonopin Overdose Symptoms",
        "Klonopin Addiction Treatment",
    ]
    assert body(doc, doc.title).startswith("Klonopin is a trade name for Clonazepam")
    assert body(doc, doc.title).endswith("ending a course of the drug.")
    assert body(doc, "Klonopin Withdrawal Symptoms").startswith("Withdrawal symptoms are one of the clearest")
    assert doc.text == SEED.read_text(encoding="utf-8")


def test_markdown_front_matter_and_sections(tmp_path):
    path = tmp_path / "page.md"
    path.write_text(
        '---\ntitle: "Acromegaly"\nurl: "https://example.org/a"\nsource: NIDDK\nreviewed: 2024-01-02\n---\n\n'
        "# Acromegaly\n\nIntro line.\n\n## Symptoms\n\nBig hands.\n\n```\n# not a heading\n```\n\n## Treatment\n\nSurgery.\n",
        encoding="utf-8",
    )
    doc = read_document(path, "page.md")
    assert (doc.title, doc.url, doc.source, doc.reviewed) == ("Acromegaly", "https://example.org/a", "NIDDK", "2024-01-02")
    assert [s.heading for s in doc.sections] == ["Acromegaly", "Symptoms", "Treatment"]
    assert body(doc, "Acromegaly") == "Intro line."
    assert body(doc, "Symptoms") == "Big hands.\n\n```\n# not a heading\n```"
    assert body(doc, "Treatment") == "Surgery."


def test_markdown_javascript_url_dropped(tmp_path):
    path = tmp_path / "x.md"
    path.write_text("---\ntitle: X\nurl: javascript:alert(1)\n---\nText.\n", encoding="utf-8")
    doc = read_document(path, "x.md")
    assert doc.url is None and doc.title == "X"


def test_txt_heading_rule(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text(
        "Caring at Home\n\nFirst paragraph.\n\nMedicines\n\nGive them with food.\n\n"
        "This line ends with a colon:\n\nNot a heading above.\n",
        encoding="utf-8",
    )
    doc = read_document(path, "notes.txt")
    assert doc.title == "Caring at Home"
    assert [s.heading for s in doc.sections] == ["Caring at Home", "Medicines"]
    assert body(doc, "Medicines") == "Give them with food.\n\nThis line ends with a colon:\n\nNot a heading above."


def test_html_drops_script_style_nav(tmp_path):
    path = tmp_path / "page.html"
    path.write_text(
        "<html><head><title>Sleep Guide</title><style>p{color:red}</style>"
        '<link rel="canonical" href="https://example.org/sleep"></head><body>'
        "<nav><a href='/'>Home</a> Menu</nav><script>alert('x')</script>"
        "<h1>Sleep Guide</h1><p>Adults need <b>seven</b> hours.</p>"
        "<h2>Naps</h2><ul><li>Keep naps short.</li><li>Avoid late naps.</li></ul>"
        "<footer>Copyright</footer></body></html>",
        encoding="utf-8",
    )
    doc = read_document(path, "page.html")
    assert doc.title == "Sleep Guide" and doc.url == "https://example.org/sleep"
    for junk in ("alert", "Menu", "Home", "color", "Copyright"):
        assert junk not in doc.text
    assert [s.heading for s in doc.sections] == ["Sleep Guide", "Naps"]
    assert body(doc, "Sleep Guide") == "Adults need seven hours."
    assert body(doc, "Naps") == "Keep naps short.\n\nAvoid late naps."


def make_pdf(path: Path, pages: list[str]) -> None:
    from reportlab.pdfgen import canvas

    c = canvas.Canvas(str(path))
    c.setTitle("Caregiver Handbook")
    for text in pages:
        c.drawString(72, 720, text)
        c.showPage()
    c.save()


def test_pdf_text_per_page(tmp_path):
    path = tmp_path / "handbook.pdf"
    make_pdf(path, ["Wash hands before meals.", "Store medicines out of reach."])
    doc = read_document(path, "handbook.pdf")
    assert doc.title == "Caregiver Handbook"
    assert [s.heading for s in doc.sections] == ["Page 1", "Page 2"]
    assert body(doc, "Page 1") == "Wash hands before meals."
    assert body(doc, "Page 2") == "Store medicines out of reach."


def test_bad_files_skipped_with_warning_naming_them(tmp_path, caplog):
    corpus = tmp_path / "corpus"
    (corpus / "sub").mkdir(parents=True)
    (corpus / "good.txt").write_text("Good Title\n\nUseful text here.\n", encoding="utf-8")
    (corpus / "sub" / "broken.pdf").write_bytes(b"%PDF-1.4\nthis is not really a pdf")
    (corpus / "binary.txt").write_bytes(b"\x00\x01\x02ELF\x00" * 50)
    (corpus / "empty.md").write_text("", encoding="utf-8")
    (corpus / "latin.txt").write_bytes("Caf\xe9 Notes\n\nDrink d\xe9caf\xe9 after noon.\n".encode("cp1252"))
    docs, warnings = load_corpus(corpus, max_file_mb=Settings().max_file_mb)
    assert [d.id for d in docs] == ["good.txt", "latin.txt"]
    assert docs[1].text.startswith("Café Notes") and "décafé" in docs[1].text
    assert any("latin.txt" in r.getMessage() and "UTF-8" in r.getMessage() for r in caplog.records)
    skipped = " ".join(warnings)
    for name in ("sub/broken.pdf", "binary.txt", "empty.md"):
        assert name in skipped


@pytest.mark.parametrize("name", ["a.md", "a.txt", "a.html"])
def test_ids_are_paths_relative_to_corpus(tmp_path, name):
    corpus = tmp_path / "c"
    (corpus / "deep" / "er").mkdir(parents=True)
    (corpus / "deep" / "er" / name).write_text("Title\n\nSome text.\n", encoding="utf-8")
    docs, _ = load_corpus(corpus, max_file_mb=Settings().max_file_mb)
    assert [d.id for d in docs] == [f"deep/er/{name}"]
