"""Locales: every sentence the bot says, one TOML file per country and language.

A locale file (`bot/locales/en-US.toml` is the reference) holds the safety notices with their
helplines as links, the disclaimer, the bot's fixed sentences ("not covered", "too long"...),
the interface texts (`[ui]`), and for languages other than English a `[glossary]` of everyday
health words (to search English documents) and `[detect]`, the safety rules as data
(`safety_rules.py`). `Locales` loads the bundled files, then a help desk's folder (BOT_LOCALES)
whose files add languages or replace bundled locales; BOT_SAFETY_TEXTS replaces the default.

`Locales.for_message` picks the locale a message is answered in: its language (`language.py`),
else the page's. `Locales.check` screens every message with EVERY language's rules (the English
detector in `safety.py`, and each locale's `[detect]`): a Spanish message with English words,
or a misread language, still gets its notice, in the message's language. Only the English
detector's typo correction is kept to English messages ("suicidas" is Spanish, not a typo).

Left out: plural rules beyond one/many, right-to-left layout, per-region spelling variants.
"""

from __future__ import annotations

import re
import string
import tomllib
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields
from functools import cached_property
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Literal

from . import safety
from .errors import ConfigError
from .language import LanguageGuesser
from .schema import Safety

if TYPE_CHECKING:
    from .safety_rules import Rules

Kind = Literal["emergency", "poisoning", "crisis"]

BUNDLED = Path(__file__).parent / "locales"
DEFAULT_LOCALE = "en-US"
_RANK = {"crisis": 3, "emergency": 2, "poisoning": 1}  # crisis's text also says to call 911
UI_KEYS = ("title", "intro", "emergency_link", "question_label", "question_placeholder", "submit",
           "chat_label", "chat_placeholder", "sources_panel", "sources_panel_one", "example_question")


@dataclass(frozen=True)
class Locale:
    locale: str  # "es-US": language and country
    language: str  # "es": what language.py tells from a message
    name: str  # "Español": shown in the language menu
    emergency: str  # Markdown notices; the first line is the action
    poisoning: str
    crisis: str
    crisis_support: str  # the kind words after a crisis notice, instead of "not covered"
    addiction: str
    disclaimer: str  # plain text
    not_covered: str  # {covered}
    not_covered_concept: str  # {topic} {asked}
    more_documents: str  # {n}
    other_language: str  # {language}
    from_documents: str
    searched_for: str
    sources: str
    reviewed: str  # {date}: "reviewed May 2024", after a citation
    review_overdue: str  # after a citation whose document's review is overdue (BOT_STALE_MONTHS, review_by)
    too_long: str  # {length} {limit}
    empty: str  # {example}
    example: str
    rate_limited: str  # {seconds}
    unavailable: str  # the documents cannot be searched right now (the vector store is down)
    ui: Mapping[str, str] = field(default_factory=dict, compare=False)
    language_names: Mapping[str, str] = field(default_factory=dict, compare=False)  # "en" → "inglés"
    glossary: Mapping[str, str] = field(default_factory=dict, compare=False)
    rules: Rules | None = field(default=None, compare=False)
    source: str = field(default="", compare=False)

    def notice(self, kind: Kind) -> Safety:
        """The notice of a detected kind; a poisoning is an emergency in the JSON contract."""
        message = {"emergency": self.emergency, "poisoning": self.poisoning, "crisis": self.crisis}[kind]
        return Safety("crisis" if kind == "crisis" else "emergency", message)


_TEXT_KEYS = tuple(f.name for f in fields(Locale) if f.type == "str" and f.name != "source")


def load_locale(path: str | Path) -> Locale:
    """Read one locale file; a missing key or a bad value raises ConfigError saying how to fix it."""
    path = Path(path)
    fix = f"compare it with {BUNDLED / (DEFAULT_LOCALE + '.toml')}, which has every key"
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"cannot read locale file {path}: {exc}; {fix}") from exc
    values = {name: data.get(name) for name in _TEXT_KEYS}
    missing = sorted(name for name, v in values.items() if not isinstance(v, str) or not v.strip())
    ui = data.get("ui", {})
    missing += [f"ui.{k}" for k in UI_KEYS if not isinstance(ui, dict) or not str(ui.get(k, "")).strip()]
    if missing:
        raise ConfigError(f"locale file {path} lacks {', '.join(missing)} (non-empty strings): add them; {fix}")
    glossary = data.get("glossary", {})
    if not isinstance(glossary, dict) or not all(isinstance(v, str) for v in glossary.values()):
        raise ConfigError(f"locale file {path}: [glossary] must map words to English words as strings; {fix}")
    names = data.get("language_names", {})
    if not isinstance(names, dict) or not all(isinstance(v, str) for v in names.values()):
        raise ConfigError(f"locale file {path}: [language_names] must map language codes to names; {fix}")
    texts = {name: str(v).strip() for name, v in values.items()}
    _check_placeholders(path, texts, ui)
    rules = None
    if "detect" in data:
        from .safety_rules import load_rules

        rules = load_rules(data["detect"], language=texts["language"], source=str(path))
    return Locale(**texts, ui=MappingProxyType({k: str(v).strip() for k, v in ui.items()}),
                  language_names=MappingProxyType(dict(names)),
                  glossary=MappingProxyType({fold(k): v for k, v in glossary.items()}), rules=rules, source=str(path))


_PLACEHOLDERS = {"not_covered": {"covered"}, "not_covered_concept": {"topic", "asked"}, "more_documents": {"n"},
                 "other_language": {"language"}, "too_long": {"length", "limit"}, "empty": {"example"},
                 "rate_limited": {"seconds"}, "reviewed": {"date"}, "ui.intro": {"titles"},
                 "ui.sources_panel": {"n"}, "ui.example_question": {"heading"}}


def _check_placeholders(path: Path, texts: dict[str, str], ui: dict[str, Any]) -> None:
    for key, allowed in _PLACEHOLDERS.items():
        text = str(ui.get(key[3:], "")) if key.startswith("ui.") else texts[key]
        try:
            used = {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}
        except ValueError as exc:
            raise ConfigError(f"locale file {path}: {key} has a broken {{placeholder}} ({exc}): "
                              "write literal braces as {{ and }}") from None
        if used - allowed:
            raise ConfigError(f"locale file {path}: {key} uses {sorted(used - allowed)}; it may only use "
                              f"{sorted(allowed)}")


def fold(text: str) -> str:
    """Lowercase without accents: how people type on a phone ("sintomas" for "síntomas")."""
    text = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in text if not unicodedata.combining(ch))


class Locales:
    """The loaded locales by code, the default one, and the language guesser over their languages."""

    def __init__(self, locales: Iterable[Locale], default: str = DEFAULT_LOCALE) -> None:
        self.by_code = {loc.locale: loc for loc in locales}
        if default not in self.by_code:
            raise ConfigError(f"the default locale {default} has no locale file: add {default}.toml to the "
                              f"locales folder, or choose one of {sorted(self.by_code)}")
        self.default = self.by_code[default]
        self.by_language: dict[str, Locale] = {self.default.language: self.default}
        for loc in self.by_code.values():
            self.by_language.setdefault(loc.language, loc)
        self.guesser = LanguageGuesser(list(self.by_language))

    @classmethod
    def load(cls, folder: str | Path | None = None, default_file: str | Path | None = None) -> Locales:
        """The bundled locales, then those in `folder` (same name: replaced), then `default_file`
        (the old BOT_SAFETY_TEXTS) in place of the default locale."""
        files = {p.stem: p for p in sorted(BUNDLED.glob("*.toml")) if p.stem != "synonyms"}
        if folder:
            if not Path(folder).is_dir():
                raise ConfigError(f"locales folder {folder} does not exist: create it with your locale "
                                  "files, or unset BOT_LOCALES")
            files.update({p.stem: p for p in sorted(Path(folder).glob("*.toml"))})
        loaded = [load_locale(p) for p in files.values()]
        if default_file:
            own = load_locale(default_file)
            loaded = [loc for loc in loaded if loc.locale != own.locale] + [own]
            return cls(loaded, own.locale)
        return cls(loaded)

    def get(self, language: str | None) -> Locale:
        """The locale for a language code or locale code ("es", "es-US", "es-419"), else the default."""
        if not language:
            return self.default
        language = language.strip()
        if language in self.by_code:
            return self.by_code[language]
        return self.by_language.get(language.split("-")[0].split("_")[0].lower(), self.default)

    def for_message(self, message: str, page: str | None = None) -> Locale:
        """The locale to answer in: the message's language when clear, else the page's."""
        fallback = self.get(page)
        return self.by_language.get(self.guesser.guess(message, fallback.language), fallback)

    @cached_property
    def rules(self) -> tuple[Rules, ...]:
        return tuple(loc.rules for loc in self.by_code.values() if loc.rules is not None)

    def detect(self, message: str) -> Kind | None:
        """The most urgent kind any language's rules find: crisis > emergency > poisoning."""
        english = self.guesser.guess(message, "en") == "en"
        kinds = [safety.detect(message, fuzzy=english)] + [r.detect(message) for r in self.rules]
        return max((k for k in kinds if k), key=_RANK.__getitem__, default=None)

    def check(self, message: str, locale: Locale) -> Safety | None:
        kind = self.detect(message)
        return None if kind is None else locale.notice(kind)


_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)?|\d+")


def translate(text: str, glossary: Mapping[str, str], keep: Iterable[str] = ()) -> str:
    """Everyday words of `text` in English through the glossary (longest phrase first); words the
    glossary lacks are kept only if `keep` (the index's vocabulary) knows them, like drug names."""
    words = [fold(w) for w in _WORD.findall(text)]
    known, longest = frozenset(keep), max((len(k.split()) for k in glossary), default=1)
    out, i = [], 0
    while i < len(words):
        for n in range(min(longest, len(words) - i), 0, -1):
            phrase = " ".join(words[i:i + n])
            if phrase in glossary:
                out.append(glossary[phrase])
                i += n
                break
        else:
            if words[i] in known:
                out.append(words[i])
            i += 1
    return " ".join(out)
