"""Locale files and languages: the texts and helpline links, loading and its errors, the message's
language, the glossary search of English documents, documents that declare a language, and the
help-desk report keeping safety messages apart (fake embedder)."""

from __future__ import annotations

import re
import shutil
import tomllib
from dataclasses import replace

import pytest
from conftest import SEED_CORPUS

from bot import Bot, Settings
from bot.build import build
from bot.errors import ConfigError
from bot.feedback import FeedbackLog, report
from bot.ingest import read_document
from bot.locale import BUNDLED, Locales, load_locale, translate

EN, ES = BUNDLED / "en-US.toml", BUNDLED / "es-US.toml"
HELPLINES = {"tel:911", "tel:988", "sms:988", "tel:+18002221222", "tel:+18006624357"}
LINK = re.compile(r"\]\(([^)]+)\)")


@pytest.fixture(scope="module")
def locales() -> Locales:
    return Locales.load()


@pytest.mark.parametrize("path", [EN, ES], ids=["en-US", "es-US"])
def test_every_helpline_is_a_link_and_only_to_a_known_number_or_site(path):
    loc = load_locale(path)
    for name in ("emergency", "poisoning", "crisis", "addiction"):
        links = LINK.findall(getattr(loc, name))
        assert links, name
        assert {u for u in links if not u.startswith("https://")} <= HELPLINES, (name, links)
        assert all(u.startswith(("tel:", "sms:", "https://")) for u in links)
    assert "tel:911" in LINK.findall(loc.ui["emergency_link"])
    text_of = {name: re.sub(r"\[([^]]+)\]\([^)]+\)", r"\1", getattr(loc, name)) for name in ("emergency", "poisoning", "crisis")}
    assert "911" in text_of["emergency"].splitlines()[0]  # the action first, in one short line
    assert "1-800-222-1222" in text_of["poisoning"].splitlines()[0] and "911" in text_of["poisoning"]
    assert "988" in text_of["crisis"].splitlines()[0] and "911" in text_of["crisis"]
    assert all(len(t.splitlines()[0]) <= 110 for t in text_of.values())
    assert "1-800-662-4357" in loc.addiction and "988" not in loc.emergency
    assert "911" in loc.disclaimer and "\n" not in loc.disclaimer


def test_the_locales_hold_the_same_keys_and_placeholders():
    en, es = (tomllib.loads(p.read_text("utf-8")) for p in (EN, ES))
    assert set(en) - {"detect", "glossary"} == set(es) - {"detect", "glossary"}
    assert set(en["ui"]) == set(es["ui"])
    for key, value in [*en.items(), *(("ui." + k, v) for k, v in en["ui"].items())]:
        if isinstance(value, str):
            other = es["ui"][key[3:]] if key.startswith("ui.") else es[key]
            assert set(re.findall(r"\{(\w+)\}", value)) == set(re.findall(r"\{(\w+)\}", other)), key


def test_a_help_desk_folder_adds_a_country_without_code(tmp_path):
    uk = EN.read_text("utf-8").replace('locale = "en-US"', 'locale = "en-GB"').replace("tel:911", "tel:999")
    (tmp_path / "en-GB.toml").write_text(uk.replace("[911]", "[999]"), encoding="utf-8")
    locales = Locales.load(tmp_path)
    assert set(locales.by_code) == {"en-US", "es-US", "en-GB"} and locales.default.locale == "en-US"
    own = Locales.load(tmp_path, tmp_path / "en-GB.toml")  # BOT_SAFETY_TEXTS: the default replaced
    assert own.default.locale == "en-GB" and own.check("he is not breathing", own.default).message.startswith("**Call [999]")


@pytest.mark.parametrize(("edit", "message"), [
    (lambda t: t.replace('crisis_support = """', 'old_support = """'), "lacks crisis_support"),
    (lambda t: t.replace('submit = "Ask"', 'submit = "  "'), "lacks ui.submit"),
    (lambda t: t.replace("{covered}", "{titles}"), "not_covered uses ['titles']"),
    (lambda t: t.replace("{seconds}", "{seconds"), "broken {placeholder}"),
    (lambda t: t + '\n[detect]\ncrisis = ["(unclosed"]\nemergency = ["x"]\npoisoning = ["y"]\n', "crisis[0]"),
    (lambda t: "locale = ", "cannot read locale file"),
])
def test_a_broken_locale_file_names_the_file_and_what_to_fix(tmp_path, edit, message):
    path = tmp_path / "xx-XX.toml"
    path.write_text(edit(EN.read_text("utf-8")), encoding="utf-8")
    with pytest.raises(ConfigError, match=re.escape(message)) as err:
        load_locale(path)
    assert str(path) in str(err.value)
    with pytest.raises(ConfigError, match="BOT_LOCALES"):
        Locales.load(tmp_path / "missing")


def test_the_message_language_picks_the_locale_and_a_short_one_keeps_the_page(locales):
    assert locales.for_message("ya no quiero seguir viviendo").locale == "es-US"
    assert locales.for_message("what are the withdrawal symptoms", page="es").locale == "en-US"
    assert locales.for_message("klonopin", page="es-US").locale == "es-US"  # a drug name: the page decides
    assert locales.for_message("911").locale == "en-US"
    assert locales.get("es-MX") is locales.by_code["es-US"] and locales.get("fr") is locales.default


def test_spanish_notices_for_spanish_messages(locales):
    for message, kind, first in [("mi esposo tomó demasiadas pastillas y no respira bien", "emergency", "Llame al"),
                                 ("ya no quiero seguir viviendo", "crisis", "Llame al"),
                                 ("mi hijo de 2 años se comió unas pastillas", "emergency", "Llame ahora a Poison Control")]:
        loc = locales.for_message(message)
        notice = locales.check(message, loc)
        assert notice and notice.kind == kind and notice.message.startswith("**" + first), message
    assert locales.check("¿El clonazepam sirve para las convulsiones?", locales.by_code["es-US"]) is None


def test_translate_uses_the_longest_phrase_and_keeps_only_words_the_documents_know():
    glossary = {"dejar de tomar": "stop taking", "dejar": "leave", "sintomas": "symptoms"}
    assert translate("¿Síntomas al dejar de tomar Klonopin?", glossary, {"klonopin"}) == "symptoms stop taking klonopin"
    assert translate("dejar la casa", glossary, ()) == "leave"


@pytest.fixture
def spanish_bot(tmp_path, fake):
    settings = Settings.load(corpus=SEED_CORPUS, index=tmp_path / "index", data=tmp_path / "data", min_score=0.1)
    build(settings, fake)
    return Bot.load(settings=settings, embedder=fake)


@pytest.mark.parametrize(("message", "searched"), [
    ("¿Qué pasa si dejo de tomar Klonopin de golpe?", "what happens stop taking klonopin abruptly"),
    ("Mi mamá deja de tomar Klonopin de golpe", "mother stops taking klonopin abruptly"),
    ("¿Es adictivo el clonazepam?", "addictive clonazepam"),  # "adictivo", not only "adicto"
])
def test_spanish_verbs_and_adjectives_in_any_form_are_searched_in_english(spanish_bot, message, searched):
    # "dejo", "deja": I stop, she stops; "de golpe" is the documents' "immediate cessation" (a synonym of "abruptly")
    assert spanish_bot.ask(message).searched_for == searched


def test_a_spanish_question_over_english_documents_is_answered_in_spanish(spanish_bot):
    answer = spanish_bot.ask("¿Cuáles son los síntomas de abstinencia del Klonopin?")
    assert answer.status == "answered" and answer.language == "es"
    assert answer.searched_for and "withdrawal symptoms" in answer.searched_for
    assert "*Los documentos están en inglés; estas son sus palabras" in answer.markdown
    assert "**De los documentos:**" in answer.markdown and "Esta es información educativa" in answer.markdown
    assert any("withdrawal" in h.passage.text.lower() for h in answer.hits)
    nothing = replace(spanish_bot.settings, min_score=0.99)
    spanish_bot.settings = nothing
    assert spanish_bot.ask("¿Cuánto cuesta una consulta?").markdown.startswith("No encontré la respuesta")
    crisis = spanish_bot.ask("ya no quiero seguir viviendo")
    assert crisis.safety and "No encontré" not in crisis.markdown and "No está solo" in crisis.markdown


def test_documents_declaring_a_language_answer_questions_in_it(tmp_path, fake):
    corpus = tmp_path / "corpus"
    shutil.copytree(SEED_CORPUS, corpus)
    (corpus / "abstinencia.md").write_text(
        "---\ntitle: Abstinencia de clonazepam\nlang: es-MX\n---\n\n# Síntomas\n\nLos síntomas de abstinencia del "
        "clonazepam incluyen insomnio, ansiedad y temblores.\n", encoding="utf-8")
    (corpus / "page.html").write_text('<html lang="es"><title>Página</title><p>Texto en español.</p></html>',
                                      encoding="utf-8")
    assert read_document(corpus / "abstinencia.md", "abstinencia.md").lang == "es"
    assert read_document(corpus / "page.html", "page.html").lang == "es"
    settings = Settings.load(corpus=corpus, index=tmp_path / "index", min_score=0.0)
    build(settings, fake)
    bot = Bot.load(settings=settings, embedder=fake)
    assert bot.doc_languages == {"abstinencia.md": "es", "page.html": "es"}
    spanish = bot.ask("¿Cuáles son los síntomas de abstinencia del clonazepam?")
    assert spanish.hits and {h.passage.doc for h in spanish.hits} <= {"abstinencia.md", "page.html"}
    assert "otro idioma" not in spanish.markdown and "inglés" not in spanish.markdown
    english = bot.ask("What are the withdrawal symptoms of Klonopin?")
    assert english.hits and {h.passage.doc for h in english.hits} == {"klonopin-addiction-treatment.txt"}


def test_the_report_counts_safety_messages_apart(tmp_path, spanish_bot):
    log = FeedbackLog(tmp_path)
    for message in ["i dont want to live anymore", "my dad took all his pills and is not breathing",
                    "How much does a taxi cost?"]:
        log.ask(replace(spanish_bot.ask(message), status="no_answer"), "chat")
    rows = report(log)
    assert [r.question for r in rows["unanswered"]] == ["How much does a taxi cost?"]
    assert [(r.question, r.count) for r in rows["safety"]] == [("emergency", 1), ("crisis", 1)]


def test_a_message_with_a_notice_is_its_own_story_and_a_spanish_follow_up_carries_the_topic(spanish_bot):
    message = "my husband took too many pills and is not breathing"
    answer = spanish_bot.ask(message, ["What are the withdrawal symptoms of Klonopin?"])
    assert answer.safety and answer.searched_for == message  # not "withdrawal Klonopin: my husband..."
    follow = spanish_bot.ask("¿y cuánto duran?", ["¿Cuáles son los síntomas de abstinencia del Klonopin?"])
    assert follow.searched_for == "withdrawal symptoms klonopin: how long last" and follow.language == "es"
