"""Safety screen run before retrieval, and the one place the safety texts come from.

`detect` tells an emergency happening now (overdose, not breathing, cannot be woken, seizure,
collapse, chest pain, benzodiazepines plus alcohol with alarming symptoms) or a suicide or
self-harm crisis apart from a general question on the same topic ("What happens if you
overdose?"), in everyday wording with typos. `is_addiction_question` flags questions about
dependence, withdrawal or quitting, so the caller can add the helpline. `load_texts` reads the
notices, helplines and disclaimer from one TOML file per locale (default `locales/en-US.toml`).

Left out on purpose: no model, no diagnosis, English only, no reading of BOT_SAFETY_TEXTS (the
caller passes the path) and no length limit (the caller enforces one; only the head and tail of
a huge message are scanned). It errs towards a notice when a real person is described: a
needless notice costs a line, a missed one can cost a life.
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from dataclasses import dataclass, fields
from functools import lru_cache
from pathlib import Path
from typing import Literal

from rapidfuzz import process
from rapidfuzz.distance import OSA

from bot.errors import ConfigError
from bot.schema import Safety

DEFAULT_TEXTS_PATH = Path(__file__).parent / "locales" / "en-US.toml"
_HEAD, _TAIL = 4000, 1000  # people say what is wrong up front, or sign off with it


@dataclass(frozen=True)
class SafetyTexts:
    locale: str
    emergency: str  # Markdown: 911 and Poison Control
    crisis: str  # Markdown: 988, and 911 for immediate danger
    addiction: str  # Markdown: SAMHSA National Helpline
    disclaimer: str  # plain text


def load_texts(path: str | Path | None = None) -> SafetyTexts:
    """Read the safety texts from a TOML file; None means the US English default."""
    path = DEFAULT_TEXTS_PATH if path is None else Path(path)
    fix = f"point BOT_SAFETY_TEXTS at a TOML file shaped like {DEFAULT_TEXTS_PATH}"
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"cannot read safety texts file {path}: {exc}; {fix}") from exc
    values = {f.name: data.get(f.name) for f in fields(SafetyTexts)}
    for name, value in values.items():
        if not isinstance(value, str) or not value.strip():
            raise ConfigError(f"safety texts file {path} lacks key '{name}' (a non-empty "
                             f'string): add {name} = "..." to it, or {fix}')
    return SafetyTexts(**{name: value.strip() for name, value in values.items()})


# Typos are pulled towards these. Only distinctive words of 5+ letters: short or common ones
# ("wake", "taper", "killing") have real English words one edit away, so patterns spell them.
_LEXICON = tuple("""overdosed overdosing overdose overdoses breathing breathe breathes breathed
unresponsive responsive responding respond unconscious conscious seizure seizures seizing
convulsing collapsed swallowed handful klonopin klonopins clonazepam benzodiazepine
benzodiazepines alcohol emergency ambulance suicidal suicide myself himself herself themselves
yourself addiction addicted addictive dependence dependent dependency withdrawal withdrawals
detox detoxing relapse relapsed relapsing rehab misuse misusing cravings craving tapering
""".split())
# Real words within reach of a trigger word ("treating" is 2 edits from "breathing"), found by
# running 18,000 English words and their inflections through `_canon`: they stay as they are.
_ORDINARY = frozenset("""released addition additions independent independence breath breaths
response responses responsible responded responds reaching missing missed creating breaking
admitted depending depended collapse collapses releasing relating drawings overcome overcoming
withdraw withdrawn withdraws subconscious consciously consulting consulted realised realising
treating treaties crashing defendant emergence audition alcoholic cracking crawling breathless
confusing preaching preached preaches carving carvings catering thankful relaxing towering
abducted abduction indicted scraping adjective breached breaches breaching breading watering
swallows additive sizing caving craning crating raving braving tempering papering layering
leisures relaying conversing sheathing wreathing devoting denoting curating crafting cradling
creaming cranking beaching""".split())


@lru_cache(maxsize=8192)
def _canon(word: str) -> str:
    if len(word) < 5 or word in _ORDINARY or word in _LEXICON:
        return word
    limit = 1 if len(word) <= 7 else 2  # OSA counts a swap ("ovredosed") as one edit
    hit = process.extractOne(word, _LEXICON, scorer=OSA.distance, score_cutoff=limit)
    return hit[0] if hit else word  # ties go to the earlier word: "suicidel" -> "suicidal"


_QUOTES = str.maketrans(dict.fromkeys("\u2018\u2019\u201b\u02bc\u02bb`\u00b4\u2032", "'"))
_INVISIBLE = re.compile("[\u0300-\u036f\u00ad\u034f\u061c\u180e\u200b-\u200f\u202a-\u202e"
                        "\u2060-\u206f\ufeff]")  # accents, zero-width and direction marks


def _sentences(message: str) -> list[tuple[str, bool]]:
    """Canonical sentences ("my dad wont wake up"), each with whether it ended in '?'."""
    if len(message) > _HEAD + _TAIL:
        message = message[:_HEAD] + "\n" + message[-_TAIL:]
    text = unicodedata.normalize("NFKC", message.translate(_QUOTES)).lower()
    text = _INVISIBLE.sub("", unicodedata.normalize("NFKD", text))  # then non-ASCII is dropped
    text = re.sub(r"\bo\.?d(?:'e?d|ed)\b", "overdosed", text)  # "OD'd", "ODed"
    text = re.sub(r"\bo\.?d[-']?ing\b", "overdosing", re.sub(r"\bo\.d\b", "od", text))
    text = re.sub(r"(\d+)[.,]\d+", r"\1", text.replace("'", ""))  # "wont"; "1.5 mg" -> "1 mg"
    text = re.sub(r"([a-z])\1\1+", r"\1\1", text)  # "helppppp", "pleeease"
    out = []
    for body, end in re.findall(r"([^.!?;\n]*)([.!?;\n]*)", text):
        words = " ".join(_canon(w) for w in re.findall(r"[a-z]+|\d+", body))
        if words:
            out.append((words, "?" in end))
    return out


_PILLS = (r"(?:pills?|tablets?|tabs|meds|medications?|medicines?|klonopins?|clonazepam|benzos?|"
          r"benzodiazepines?|xanax|valium|ativan|kpins?|pins|bars|painkillers|opioids|"
          r"sleeping pills|of (?:them|those|these|it))")
_NUM = (r"(?:[5-9]|[1-9]\d+|five|six|seven|eight|nine|ten|eleven|twelve|a dozen|dozens|"
        r"(?:thir|four|fif|six|seven|eigh|nine)teen|(?:twen|thir|for|fif)ty)")  # 4 is a dose
_TOOK = r"(?:took|taken|swallowed|ate|eaten|popped|downed|necked)"  # past: it happened
# "~" marks patterns said only of someone else: "I can't wake up" is grogginess.
_EMERGENCY = [(re.compile(p.lstrip("~")), p[0] == "~") for p in (
    r"\boverdos(?:ed|ing)\b|\b(?:took|taken|had|having|has) an? (?:\w+ )?overdose\b"
    r"|\bdid (?:i|he|she|they|my \w+) (?:just )?overdose\b",
    rf"\b{_TOOK} (?:(?!last|usual|normal|daily|regular|prescribed)\w+ ){{0,2}}?(?:(?:like|about|"
    rf"around|maybe|over|almost) )?{_NUM}(?! (?:mg|mgs|milligrams?|mcg|ml|days?|weeks?|months?|"
    r"years?|hours?|hrs?|minutes?|mins?|seconds?|times?|am|pm|percent)\b)",
    rf"\b{_TOOK} (?:\w+ ){{0,3}}?(?:too many|too much (?:of )?(?:\w+ )?{_PILLS}|too much$|(?:a|"
    r"the|his|her|my|their) (?:whole|entire|full) (?:\w+ )?(?:bottle|pack|packet|box|strip|"
    rf"prescription|script|supply)|(?:a )?(?:handful|fistful)|a (?:lot|bunch|ton|load) of "
    rf"{_PILLS}|all (?:of )?(?:his|her|my|their|the|your) {_PILLS})",
    rf"\b(?:baby|toddler|infant|child|kid|dog|cat|puppy) (?:\w+ ){{0,5}}(?:swallowed|ate|"
    rf"got into|chewed) (?:\w+ ){{0,3}}{_PILLS}",
    r"\b(?:not|isnt|arent|wasnt|aint|no longer|stopped|stops|stopping|barely|hardly|cant|"
    r"cannot|couldnt|trouble|struggling to) (?:\w+ )?breath(?:ing|e)\b|\bgasping\b|\bbreathing "
    r"(?:is |has |seems |sounds )?(?:\w+ )?(?:slow|slowly|shallow|irregular|faint|weak|gurgling|"
    r"rattling|stopped)\b|\blips (?:\w+ ){0,2}(?:blue|purple|gr[ae]y)\b|\bblue lips\b",
    r"(?<!pills are )(?<!pill is )(?<!its )(?<!it is )\b(?:turning|turned|going|gone|went) "
    r"(?:blue|purple|gr[ae]y)\b",
    r"\b(?:unresponsive|(?:not|barely|hardly|semi) (?:responsive|conscious)|(?:not|isnt|wont|"
    r"doesnt|didnt|wasnt|cant|stopped|no longer) (?:\w+ )?respond(?:ing|s)?)\b(?! to (?!(?:(?:my|"
    r"his|her|our|their) )?(?:me|us|anything|touch|pain|shaking|voice|name|noise)\b))",
    r"\b(?:cant|cannot|couldnt|unable to|tried to|trying to|try to|not able to|wont|not)(?: \w+)?"
    r" (?:wake (?:up )?(?:him|her|them|(?:my|our|his|their|the) \w+|(?!myself|me|up)\w+ up)|"
    r"get (?:him|her|them|\w+ \w+|\w+) to (?:wake|respond))\b",
    r"~\b(?:wont|will not|isnt|not|doesnt|didnt|cant|cannot|couldnt|hasnt|never) (?:\w+ )?"
    r"(?:wake|waking|wakin|woke|woken|wakeup)\b(?! (?:me|us)\b)",
    r"\b(?:unconscious|collapsed|passed out|fainted|keeled over|out cold)\b",
    r"\b(?:having|is having|going into|went into|started having|in the middle of|just had) "
    r"(?:an? (?:\w+ )?)?(?:seizures?|fits?|convulsions?)\b(?! disorder| history)"
    r"|\b(?:seizing|convulsing)\b(?! up)|\bfitting (?:right now|now|on the|again)\b",
    r"\bchest (?:pain|pains|hurts|is hurting|is tight|feels tight)\b|\bpain in (?:my|his|her|"
    r"the) chest\b|\bhaving an? heart attack\b",
)]
# Benzodiazepines with alcohol are an emergency only with these (not "a little drowsy").
_ALCOHOL = re.compile(r"\b(?:alcohol|drinks?|drinking|drank|drunk|beers?|wine|vodka|whiske?y|"
                      r"liquor|booze|shots|tequila|rum|gin)\b")
_UNWELL = re.compile(
    r"\b(?:confused(?! about| by| why| if| whether| as to| how| what)|disoriented|incoherent"
    r"|vomiting|throwing up|threw up|puking|slurring|nodding off|passing out|not making sense"
    r"|(?:cant|cannot|couldnt|unable to|barely|hardly) (?:stay|keep|be|remain|breathe|walk|"
    r"stand|talk|speak|move|open)|(?:very|really|so|super|extremely|too) (?:drowsy|sleepy|"
    r"groggy|sedated|out of it))\b")
# "What should I do if someone overdoses?" asks for first aid, which the notice gives: the
# asker may be facing it now, and "call 911" is the right answer either way.
_ACTION = re.compile(r"\b(?:what (?:do|should|can|must) (?:i|we|you) do|what to do|how (?:do|"
                     r"can|should) (?:i|we|you) help|how to help|first aid|call 911)\b")
_ACTION_TOPIC = re.compile(r"\b(?:overdos\w*|unresponsive|unconscious|collapsed|(?:stops?|"
                           r"stopped|not|isnt) breathing|(?:wont|doesnt|not|cant) wake|"
                           r"(?:has|have|having) an? seizure|pass(?:es|ed) out)\b")
_URGENT = re.compile(r"\b(?:pl[sz]+ help|help pl[sz]+|someone help|somebody help|hurry|911|"
                     r"emergency|urgent|asap|omg|oh (?:my )?god|right now|rn|someone here|"
                     r"somebody here)\b|^help+\b")
_HEDGE = re.compile(r"\b(?:feel|feels|felt|feeling) like (?:\w+ ){0,2}$")  # panic, not apnoea
# A crisis whoever asks: said of oneself, asking for a lethal amount, or for the crisis line.
_CRISIS_ALWAYS = re.compile(
    r"\b(?:kill+|killing|kil|unalive|hurt|hurting|harm|harming|cut|cutting|burn|burning|hang|"
    r"hanging|shoot|shooting|drown|poison|starve|starving) (?:my ?self|me self)\b|\b(?:kms|"
    r"unalive|sewer slide|suicide (?:hotline|helpline|line)|crisis line|988|end(?:ing)? (?:it "
    r"all|my (?:own )?life)|tak(?:e|ing) my (?:own )?life|(?:nobody|no one) (?:would|will) "
    r"(?:even )?(?:miss me|care if i)|better off (?:dead|without me)|(?:no|dont see the|dont see "
    r"any|whats the) (?:reason|point|will) (?:to|in|of) (?:live|living|life|go on|going on|be "
    r"alive|being alive)|(?:dont|do not|no longer) want to (?:live|be alive|be here|exist|wake "
    r"up|go on)|wish i (?:was|were|could be) dead|wish i (?:could )?die|wish i (?:was|were) "
    r"never born|never wake up again|sleep (?:\w+ ){0,2}(?:forever|and never wake)|(?:cant|"
    r"cannot) go on (?:like this|anymore|living)|not worth living|life isnt worth|done with "
    r"(?:life|living)|tired of (?:living|being alive)|(?:slit|cut) my wrists|jump (?:off|from) "
    r"(?:a|the) (?:bridge|building|roof)|(?:feel|feeling|felt) (?:\w+ )?suicidal|(?:take|takes|"
    r"enough|many|much) (?:\w+ ){0,3}to (?:kill me|die))\b")
# A crisis when said of a real person, not asked in general ("the risk of suicide").
_CRISIS = re.compile(
    r"\b(?:suicidal|self ?harm\w*|(?:commit|committed|committing|attempt|attempted|attempting|"
    r"tried|thinking about|thinking of|thought about|considering|planning|talking about|talks "
    r"about|talked about) (?:to )?(?:\w+ )?suicide|suicide (?:attempt|note|plan)|(?:kill|hurt|"
    r"harm|cut) (?:him|her|them)sel(?:f|ves)|end (?:his|her|their) (?:own )?life|(?<!dont )"
    r"(?<!not )(?:want|wants|wanted|wanting|wanna|ready|just want) to di+e+|wanna di+e+)\b"
    r"(?! (?:\w+ ){0,2}hair)|\b(?:overdos\w* (?:\w+ )?on purpose|(?:intentional|deliberate)"
    r"(?:ly)? overdos\w*|(?:took|take|swallowed) (?:\w+ ){0,5}on purpose)\b"
    r"|(?<!\bam i )(?<!\bis he )(?<!\bis she )"
    r"\b(?:want|wants|wanna|going|gonna|plan|planning|thinking about|thinking of|tempted|ready|"
    r"trying) (?:to )?(?:\w+ )?(?:overdose|overdosing|od|end (?:it|things|everything)\b(?! with| "
    r"for| off)|take (?:all|every|the whole|a whole|them all)|swallow (?:all|the whole|a whole))\b")

_FIRST = frozenset("i im ive me we myself".split())
_THIRD = frozenset("he hes him his she shes her my our their your".split())
_GENERIC = frozenset("you someone somebody anyone anybody person people patients users those "
                     "whoever everyone".split())
_PEOPLE = _FIRST | _THIRD | frozenset("friend dad mom mum father mother son daughter husband "
                                      "wife brother sister boyfriend girlfriend partner "
                                      "roommate grandma grandpa".split())
_QWORDS = frozenset("what whats how hows why when where which who is are can could does do "
                    "did will would should may might if whether signs symptoms".split())
_NOT_EVENT = frozenset("of about avoid prevent preventing without from for cause causes it "
                       "that which this".split())  # "risk of overdosing", "it took 5 tries"


def _real(s: str, start: int, question: bool, emergency: bool, third_only: bool = False) -> bool:
    """Is the match at `start` said of a real person, not asked about in general?"""
    before = s[:start].split()
    if emergency and (before and before[-1] in _NOT_EVENT or _HEDGE.search(s[:start])):
        return False
    who = next((w for w in reversed(before[-4:]) if w in _FIRST | _THIRD | _GENERIC), None)
    if third_only and who in _FIRST:
        return False
    if (emergency and _ACTION.search(s)) or _URGENT.search(s):
        return True
    if who in _GENERIC and (question or {"if", "when", "whether"} & set(before)):
        return False  # "how do I know if someone is overdosing?"
    words = s.split()
    return not (words[0] in _QWORDS and not _PEOPLE & set(words))  # "is overdosing painful?"


def detect(message: str) -> Literal["emergency", "crisis"] | None:
    """Return "crisis", "emergency" or None. Crisis wins: its text also says to call 911."""
    sentences = _sentences(message)
    whole = " ".join(s for s, _ in sentences)
    mixed = bool(_ALCOHOL.search(whole) and re.search(rf"\b{_PILLS}\b", whole))
    emergency = False
    for s, q in sentences:
        if _CRISIS_ALWAYS.search(s) or any(_real(s, m.start(), q, False)
                                           for m in _CRISIS.finditer(s)):
            return "crisis"
        for pattern, third_only in _EMERGENCY + [(_UNWELL, False)] * mixed:
            emergency = emergency or any(_real(s, m.start(), q, True, third_only)
                                         for m in pattern.finditer(s))
        emergency = emergency or bool(_ACTION.search(s) and _ACTION_TOPIC.search(s))
    return "emergency" if emergency else None


_ADDICTION = re.compile(
    r"\b(?:addict\w*|dependen\w*|withdrawals?|withdrawing|detox\w*|taper\w*|wean\w*|relaps\w*|"
    r"rehab\w*|abus\w*|misus\w*|hooked on|crav\w*|tolerance|quit(?:s|ting|ted)?|cold turkey|"
    r"recovery|sober\w*|narcotics anonymous|substance use|use disorder|(?:stop|stops|stopped|"
    rf"stopping) (?:\w+ )?{_PILLS}|(?:stop|stops|stopped|stopping) (?:taking|using)|{_PILLS} "
    r"(?:\w+ ){0,2}stopped|(?:get|getting|got|come|coming|came) off)\b")


def is_addiction_question(message: str) -> bool:
    """Is this about addiction, dependence, withdrawal or quitting (typos tolerated)?"""
    return bool(_ADDICTION.search(" | ".join(s for s, _ in _sentences(message))))


def check(message: str, texts: SafetyTexts) -> Safety | None:
    """The notice to show before any answer, or None when nothing alarming was said."""
    kind = detect(message)
    if kind is None:
        return None
    return Safety(kind, texts.emergency if kind == "emergency" else texts.crisis)
