"""Which language a message is written in, among the languages the bot has locales for.

`LanguageGuesser` wraps py3langid (a maintained fork of langid.py: a small offline model, no
download) restricted to the locales' languages, so "ayuda mi hijo no respira" can only be
Spanish or English. A message too short or too mixed to tell ("911", "klonopin", "hola")
keeps the language the person chose for the page.

Left out: telling regional variants apart (es-MX from es-US: the locale file decides the
country), and mixed-language messages (the most likely language wins).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cached_property
from typing import Any

#: below this probability the page's language is kept: a short message is often a drug name
MIN_CONFIDENCE = 0.9
_READ = 2000  # characters read: a language shows in a sentence or two, and a huge message stays cheap


class LanguageGuesser:
    def __init__(self, languages: Sequence[str]) -> None:
        self.languages = tuple(dict.fromkeys(languages))

    @cached_property
    def _identifier(self) -> Any:
        from py3langid.langid import MODEL_DIR, MODEL_FILE, LanguageIdentifier

        identifier = LanguageIdentifier.from_modelpath(MODEL_DIR / MODEL_FILE, norm_probs=True)
        identifier.set_languages(list(self.languages))
        return identifier

    def guess(self, text: str, default: str) -> str:
        """The message's language code, or `default` when there is one language or no clear winner."""
        text = text[:_READ]
        if len(self.languages) < 2 or sum(ch.isalpha() for ch in text) < 4:
            return default
        language, probability = self._identifier.classify(text)
        return str(language) if probability >= MIN_CONFIDENCE else default
