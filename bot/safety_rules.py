"""Safety rules as data: the engine that runs a locale's `[detect]` table.

A help desk adds a language by writing regular expressions in its locale file, not code. The
table (see `bot/locales/es-US.toml` for a full example) has these keys, all optional except the
three kinds:

    define     {name = regex}: pieces of patterns, used as %name% in any pattern below (and in
               later definitions), so a word list is written once
    replace    [[regex, replacement], ...]: applied in order to each normalised sentence, to
               undo SMS spellings ("\\bq\\b" -> "que") before the patterns see it (write a
               space, not \\s, between words: sentences are passed as lines of one text)
    crisis     [regex, ...]: suicide or self-harm; searched in every sentence, never suppressed
    emergency  [regex, ...]: signs of an emergency now (not breathing, cannot be woken, seizure);
               beats a poisoning
    poisoning  [regex, ...]: an accidental poisoning (a child in the pills, a double dose)
    overdose   [regex, ...]: too much taken; an emergency, unless the message reads as a poisoning
    general    [regex, ...]: a sentence asked in general ("what happens if someone overdoses?"):
               emergency, poisoning, overdose and combine ignore it...
    urgent     [regex, ...]: ...unless one of these is found anywhere in the message ("help!")
    combine    [{kind = "emergency", all = [regex, ...]}, ...]: a kind found when every regex
               matches somewhere in the message's non-general sentences (pills, alcohol, and
               an alarming state may come in three sentences)

A message is normalised before matching: curly quotes straightened, NFKD with accents and
zero-width marks removed ("niño" -> "nino"), lowercased, letters typed 3+ times collapsed to one
("ayudaaa"), split into sentences on . ! ? ¿ ¡ ; and newlines, each reduced to words of [a-z0-9]
joined by single spaces. Patterns are Python `re` syntax matched against that text. Only the
first 4000 and last 1000 characters of a huge message are read. The answer is the most urgent
kind found: crisis > emergency > poisoning > overdose (reported as "emergency").

Left out on purpose: no model, no fuzzy spelling (patterns spell variants themselves), no
per-rule priorities beyond the fixed order above, and no notice texts (the locale has those).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from bot.errors import ConfigError

Kind = Literal["emergency", "poisoning", "crisis"]
KINDS: tuple[Kind, ...] = ("crisis", "emergency", "poisoning")
_LISTS = ("crisis", "emergency", "poisoning", "overdose", "general", "urgent")
_KEYS = frozenset(_LISTS) | {"define", "replace", "combine"}
_HEAD, _TAIL = 4000, 1000  # people say what is wrong up front, or sign off with it

_QUOTES = str.maketrans(dict.fromkeys("\u2018\u2019\u201b\u02bc\u02bb`\u00b4\u2032", "'"))
_MARKS = re.compile("[\u0300-\u036f\u00ad\u034f\u061c\u180e\u200b-\u200f\u202a-\u202e"
                    "\u2060-\u206f\ufeff]")  # accents, zero-width and direction marks
_REPEATS = re.compile(r"([a-z])\1{2,}")  # "ayudaaa": doubled letters (ll, rr, cc) stay
_SENTENCES = re.compile(r"[.!?\u00bf\u00a1;\n]+")
_NON_WORD = re.compile(r"[^a-z0-9]+")
_NAME = re.compile(r"%([a-z_][a-z0-9_]*)%")


def normalise(message: str) -> list[str]:
    """The message as the patterns see it: a list of sentences of plain lowercase words."""
    if len(message) > _HEAD + _TAIL:
        message = message[:_HEAD] + "\n" + message[-_TAIL:]
    text = unicodedata.normalize("NFKC", message.translate(_QUOTES)).lower()
    text = _MARKS.sub("", unicodedata.normalize("NFKD", text))
    text = _REPEATS.sub(r"\1", text)
    out = []
    for sentence in _SENTENCES.split(text):
        words = _NON_WORD.sub(" ", sentence).strip()
        if words:
            out.append(words)
    return out


@dataclass(frozen=True)
class Rules:
    """One language's compiled rules; `detect` is pure and takes microseconds."""

    language: str
    source: str  # the locale file, named in errors
    replace: tuple[tuple[re.Pattern[str], str], ...] = ()
    crisis: re.Pattern[str] | None = None
    emergency: re.Pattern[str] | None = None
    poisoning: re.Pattern[str] | None = None
    overdose: re.Pattern[str] | None = None
    general: re.Pattern[str] | None = None
    urgent: re.Pattern[str] | None = None
    combine: tuple[tuple[Kind, tuple[re.Pattern[str], ...]], ...] = ()

    def sentences(self, message: str) -> list[str]:
        """Normalised sentences with the `replace` pairs applied."""
        # One pass per pair over all the sentences, a line each (patterns compiled MULTILINE, so
        # ^ and $ are a sentence's ends), is several times faster than a pass per sentence.
        text = "\n".join(normalise(message))
        for pattern, repl in self.replace:
            text = pattern.sub(repl, text)
        return [s for s in text.split("\n") if s]

    def detect(self, message: str) -> Kind | None:
        """The most urgent kind the message shows, or None."""
        sentences = self.sentences(message)
        if self.crisis and any(self.crisis.search(s) for s in sentences):
            return "crisis"  # its notice also says to call 911
        urgent = bool(self.urgent) and any(self.urgent.search(s) for s in sentences)
        # A general question is kept out, unless the message also says it is happening now.
        kept = [s for s in sentences if urgent or not (self.general and self.general.search(s))]
        found = {kind for kind, combo in self.combine
                 if all(any(p.search(s) for s in kept) for p in combo)}
        for kind in ("emergency", "poisoning", "overdose"):
            pattern = getattr(self, kind)
            if pattern is not None and any(pattern.search(s) for s in kept):
                found.add(kind)
        if "emergency" in found:
            return "emergency"
        if "poisoning" in found:
            return "poisoning"  # Poison Control first; its notice says when to call 911
        return "emergency" if "overdose" in found else None


def load_rules(table: Mapping[str, Any], *, language: str, source: str) -> Rules:
    """Compile a locale's [detect] table; a bad shape or regex raises ConfigError naming
    `source` and the key, and saying how to fix it."""
    where = f"locale file {source}, [detect]"
    if not isinstance(table, Mapping):
        raise ConfigError(f"{where} must be a table of pattern lists: write it as [detect] with keys "
                          f"{', '.join(sorted(_KEYS))}")
    unknown = sorted(set(table) - _KEYS)
    if unknown:  # a typo ("emergencia") would otherwise switch a rule list off without a word
        raise ConfigError(f"{where} has unknown key(s) {', '.join(unknown)}: rename them to one of "
                          f"{', '.join(sorted(_KEYS))}")
    missing = [kind for kind in KINDS if not table.get(kind)]
    if missing:
        raise ConfigError(f"{where} lacks {', '.join(missing)}: add a non-empty list of regexes for "
                          "each, as in bot/locales/es-US.toml")
    defines = _defines(table.get("define", {}), where)
    compiled: dict[str, Any] = {}
    for key in _LISTS:
        patterns = _strings(table.get(key, []), f"{where} {key}")
        compiled[key] = _union([_compile(p, defines, f"{where} {key}[{i}]") for i, p in enumerate(patterns)])
    compiled["replace"] = tuple(_replace_pairs(table.get("replace", []), defines, where))
    compiled["combine"] = tuple(_combos(table.get("combine", []), defines, where))
    return Rules(language=language, source=source, **compiled)


def _strings(value: Any, where: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise ConfigError(f"{where} must be a list of non-empty regex strings, written as "
                          "['''regex''', ...] so backslashes stay as typed")
    return value


def _defines(value: Any, where: str) -> dict[str, str]:
    if not isinstance(value, Mapping):
        raise ConfigError(f"{where} define must be a table of name = '''regex''': write it as "
                          "[detect.define] or define = {{ pills = '''...''' }}")
    out: dict[str, str] = {}
    for name, pattern in value.items():
        if not re.fullmatch(r"[a-z_][a-z0-9_]*", name) or not isinstance(pattern, str) or not pattern:
            raise ConfigError(f"{where} define.{name} must be a lowercase name (a-z, 0-9, _) set to a "
                              "non-empty regex string")
        # Definitions may use earlier ones; expanding here also catches a name used before it exists.
        out[name] = _expand(pattern, out, f"{where} define.{name}")
    return out


def _expand(pattern: str, defines: Mapping[str, str], where: str) -> str:
    def sub(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in defines:
            raise ConfigError(f"{where} uses %{name}%, which is not defined (yet): add {name} = "
                              "'''...''' to [detect.define], above any definition that uses it")
        return f"(?:{defines[name]})"
    return _NAME.sub(sub, pattern)


def _compile(pattern: str, defines: Mapping[str, str], where: str, flags: int = 0) -> re.Pattern[str]:
    expanded = _expand(pattern, defines, where)
    try:
        return re.compile(expanded, flags)
    except re.error as exc:
        raise ConfigError(f"{where} is not a valid regular expression ({exc}): {pattern!r}; fix it "
                          "(Python re syntax, in a '''literal''' string so backslashes stay as "
                          "typed)") from None


def _union(patterns: Sequence[re.Pattern[str]]) -> re.Pattern[str] | None:
    """One alternation is several times faster than trying each pattern in turn."""
    if not patterns:
        return None
    try:
        return re.compile("|".join(f"(?:{p.pattern})" for p in patterns))
    except re.error:  # numbered back-references or clashing group names: keep them apart
        return _Any(patterns)  # type: ignore[return-value]


class _Any:
    """Several patterns that cannot be joined, searched one by one."""

    def __init__(self, patterns: Sequence[re.Pattern[str]]) -> None:
        self.patterns = tuple(patterns)

    def search(self, text: str) -> re.Match[str] | None:
        return next((m for p in self.patterns if (m := p.search(text))), None)


def _replace_pairs(value: Any, defines: Mapping[str, str], where: str):
    if not isinstance(value, list):
        raise ConfigError(f"{where} replace must be a list of [regex, replacement] pairs, e.g. "
                          "replace = [['''\\bq\\b''', 'que']]")
    for i, pair in enumerate(value):
        if not (isinstance(pair, list) and len(pair) == 2 and all(isinstance(x, str) for x in pair)
                and pair[0]):
            raise ConfigError(f"{where} replace[{i}] must be a pair [regex, replacement] of strings, "
                              f"e.g. ['''\\bxq\\b''', 'porque']; got {pair!r}")
        pattern = _compile(pair[0], defines, f"{where} replace[{i}]", re.MULTILINE)
        try:
            pattern.sub(pair[1], "")  # a bad group reference in the replacement shows up only here
        except (re.error, IndexError) as exc:
            raise ConfigError(f"{where} replace[{i}] has a bad replacement {pair[1]!r} ({exc}): "
                              "use \\1 only for groups the regex has") from None
        yield pattern, pair[1]


def _combos(value: Any, defines: Mapping[str, str], where: str):
    if not isinstance(value, list):
        raise ConfigError(f"{where} combine must be a list of tables: [[detect.combine]] with "
                          "kind = \"emergency\" and all = ['''regex''', ...]")
    for i, combo in enumerate(value):
        here = f"{where} combine[{i}]"
        if not isinstance(combo, Mapping) or combo.get("kind") not in KINDS or set(combo) != {"kind", "all"}:
            raise ConfigError(f"{here} must have exactly kind (one of {', '.join(KINDS)}) and all "
                              "(a list of regexes that must all match)")
        patterns = _strings(combo["all"], f"{here} all")
        yield combo["kind"], tuple(_compile(p, defines, f"{here} all[{j}]") for j, p in enumerate(patterns))
