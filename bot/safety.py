"""The English safety screen, run before anything can refuse or delay a message.

`detect` sorts a message into one of three notices, or none, in everyday English with typos:

* "crisis" (988): suicide or self-harm, said of oneself or a relative, including the indirect
  signs a family notices: goodbye letters, saying goodbye to everyone, giving belongings away
  with a sense of ending, "no point in living", "better off without me", "I can't do this
  anymore", wanting to sleep and never wake up, being a burden, stockpiling pills, searching
  how many it takes, a plan; and asking for a lethal amount or for the crisis line.
* "emergency" (911): happening now: an overdose (too much taken, intent unknown), not
  breathing, cannot be woken, unresponsive, a seizure, collapse, blue lips, chest pain,
  benzodiazepines plus alcohol with alarming symptoms.
* "poisoning" (Poison Control): an accidental ingestion: a young child or a pet into pills or
  household products, a double dose, the dose taken twice or again by mistake, someone else's
  pills by mistake, a child given too much; and a suspected overdose: someone else very sleepy
  or confused after a medicine, an overdose asked about ("is that an overdose?").

Order: crisis > emergency signs > poisoning > overdose (reported as "emergency") > a weaker
poisoning (someone got into another person's pills). So a toddler who ate pills and is not
breathing gets 911, and an older person "very sleepy / hard to wake" after an accidental double
dose gets Poison Control until they cannot be woken.

General questions on the same topics get None and go to retrieval: "what happens if you
overdose?", overdose signs, seizures as a withdrawal symptom, tapering, doses, alcohol in
general, suicidal thoughts as a side effect, "is it safe to take a double dose?", "what if I
miss a dose?", keeping pills away from children. `is_addiction_question` flags questions about
dependence, withdrawal or quitting, so the caller can add the helpline. The notices' texts are
in the locale files (`locale.py`).

Also an emergency, when said of a real person now: the signs of a stroke (a drooping face, one
side numb), a throat closing or a failed EpiPen, choking, bleeding that will not stop, blood
vomited or coughed up, the worst headache of one's life, a blow to the head with vomiting or
confusion, someone not moving. Crisis wordings are written as classes (not wanting to live or
wake up, tired of living, no way out, the means with an intent, self-harm with a tool or a body
part, unless the sentence is about an accident); poisonings name common medicines by brand and
generic name. tests/data/safety_phrases_dev.json is a development set written before these
classes and checked by tests/test_safety_dev.py.

Left out on purpose: no model, no diagnosis, English only (other languages: `safety_rules.py`),
no other emergencies than the ones above, no texts, and no length limit (only the head and tail
of a huge message are scanned). It must stay cheap: it runs before rate
limiting. It errs towards a notice when a real person is described: a needless notice costs a
line, a missed one can cost a life.
"""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import Literal

from rapidfuzz import process
from rapidfuzz.distance import OSA

_HEAD, _TAIL = 4000, 1000  # people say what is wrong up front, or sign off with it


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


def _sentences(message: str, fuzzy: bool = True) -> list[tuple[str, bool]]:
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
        words = " ".join(_canon(w) if fuzzy else w for w in re.findall(r"[a-z]+|\d+", body))
        if words:
            out.append((words, "?" in end))
    return out


_PILLS = (r"(?:pills?|tablets?|tabs|meds|medications?|medicines?|klonopins?|clonazepam|benzos?|"
          r"benzodiazepines?|xanax|valium|ativan|kpins?|pins|bars|painkillers|opioids|"
          r"sleeping pills|of (?:them|those|these|it))")
_NUM = (r"(?:[5-9]|[1-9]\d+|five|six|seven|eight|nine|ten|eleven|twelve|a dozen|dozens|"
        r"(?:thir|four|fif|six|seven|eigh|nine)teen|(?:twen|thir|for|fif)ty)")  # 4 is a dose
_TOOK = r"(?:took|taken|swallowed|ate|eaten|popped|downed|necked)"  # past: it happened

# --- emergency: 911 --------------------------------------------------------------------------
# Too much taken: an emergency, unless the message reads as an accidental poisoning (a toddler,
# a double dose, "by mistake"), where Poison Control leads. Signs below beat both.
_OVERDOSE = [re.compile(p) for p in (
    r"\boverdos(?:ed|ing)\b|\b(?:took|taken|had|having|has) an? (?:\w+ )?overdose\b"
    r"|\bdid (?:i|he|she|they|my \w+) (?:just )?overdose\b",
    rf"\b{_TOOK} (?:(?!last|usual|normal|daily|regular|prescribed)\w+ ){{0,2}}?(?:(?:like|about|"
    rf"around|maybe|over|almost) )?{_NUM}(?! (?:mg|mgs|milligrams?|mcg|ml|days?|weeks?|months?|"
    r"years?|hours?|hrs?|minutes?|mins?|seconds?|times?|am|pm|percent)\b)",
    rf"\b{_TOOK} (?:\w+ ){{0,3}}?(?:too many|too much (?:of )?(?:\w+ )?{_PILLS}|too much$|(?:a|"
    r"the|his|her|my|their) (?:whole|entire|full) (?:\w+ )?(?:bottle|pack|packet|box|strip|"
    rf"prescription|script|supply)|(?:a )?(?:handful|fistful)|a (?:whole |big |huge )?(?:lot|bunch|ton|"
    rf"load) of (?:(?:his|her|my|their|the|your) )?(?:\w+ )?{_PILLS}|all (?:of )?(?:his|her|my|their|the|"
    rf"your) {_PILLS})",
)]
# Signs of an emergency happening now: these beat a poisoning (a toddler who ate pills and is
# not breathing needs 911 first). "~" marks patterns said only of someone else: "I can't wake
# up" is grogginess. "Hard to wake" and "very sleepy" are not here on purpose: after an
# accidental extra dose they read as a poisoning (Poison Control triages drowsiness); only
# "cannot be woken", "won't wake up", "unresponsive" make it an emergency.
_SIGNS = [(re.compile(p.lstrip("~")), p[0] == "~") for p in (
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
    # a stroke: a drooping face, slurred speech, one side numb or weak
    r"\b(?:face|mouth|smile) (?:is |has |went |looks |started )?(?:drooping|droopy|drooped|sagging|"
    r"crooked|lopsided|uneven)\b|\b(?:suddenly|all of a sudden|out of nowhere|started) (?:\w+ )?"
    r"(?:slurring|slurred) (?:his |her |my |their )?(?:words|speech)\b|"
    r"\b(?:one|left|right) side of (?:his|her|my|their) (?:body|face) (?:is |went |feels |has gone |"
    r"got )?(?:numb|weak|limp|paralyzed|paralysed|dead|drooping|tingling)\b|\b(?:having|is having|"
    r"having had) an? (?:\w+ )?stroke\b",
    # choking, a throat closing, anaphylaxis
    r"\b(?:is|hes|shes|im|are|started|keeps|was) choking\b(?! on (?:my|his|her) (?:words|tears))|"
    r"\bchoking (?:and|cant|on (?:a|the|his|her|some) (?:\w+ )?(?:food|piece|candy|grape|toy|coin))\b|"
    r"\b(?:throat|airway) (?:is |feels |keeps |started )?(?:swelling|swollen|closing|closing up|"
    r"tightening)\b|\btongue (?:is )?(?:swelling up|closing)|\banaphyla\w*\b|\bepi ?pens? (?:isnt|is "
    r"not|didnt|did not|not|wont|doesnt) (?:work|working|help|helping)\b",
    # bleeding that will not stop, blood vomited or coughed up
    r"\b(?<!period )(?<!menstrual )(?:bleeding|blood) (?:\w+ ){0,3}?(?:wont|will not|doesnt|does not|"
    r"isnt|is not|cant|cannot) (?:stop|stopping)\b(?! for (?:\w+ )?(?:days|weeks|months))|\b(?:cant|"
    r"cannot|couldnt) (?:get (?:it|the bleeding|the blood) to )?stop (?:the )?bleeding\b|"
    r"\b(?:gushing|spurting|pouring) (?:out )?blood\b|\bblood (?:is |was |keeps )?"
    r"(?:gushing|spurting|pouring)\b|\b(?:leg|arm|hand|head|wound|cut|neck|foot|finger|wrist) (?:is |"
    r"keeps |was )?(?:gushing|spurting)\b|\b(?:so much|a lot "
    r"of|lots of|tons of|too much) blood\b(?! (?:in|on) (?:my|his|her|the) (?:stool|urine|pee|poop|"
    r"snot|mucus|phlegm|spit|period|pad|tissue))|\b(?:vomiting|throwing up|threw up|coughing up|"
    r"coughed up|puking|puked|spitting up) (?:a lot of |lots of |so much |bright red |some )?blood\b",
    # the worst headache of one's life
    r"\bworst headache (?:of|in) (?:my|his|her|their) (?:whole )?life\b",
)]
# A head injury is an emergency with a sign of damage (confused, vomiting, drowsy).
_HEAD_INJURY = re.compile(r"\b(?:hit|hitting|bumped|banged|smacked|struck|cracked) (?:his|her|my|"
                          r"their) head\b|\bhead injury\b|\b(?:fell|fallen|fall) (?:\w+ ){0,4}?"
                          r"(?:on|onto) (?:his|her|my|their) head\b")
# "Not moving" said of a person, at the end of a sentence: "my brother is not moving".
_NOT_MOVING = re.compile(r"\b(?:he|she|hes|shes|they|theyre|baby|toddler|kid|child|son|daughter|"
                         r"husband|wife|dad|father|mom|mother|mum|brother|sister|friend|boyfriend|"
                         r"girlfriend|partner|grandma|grandpa|man|woman|guy|person|someone|somebody) "
                         r"(?:is |are |was )?(?:not|isnt|wont|hasnt|stopped|doesnt|cant|didnt) "
                         r"(?:moving|move|moved)$")
# Benzodiazepines with alcohol are an emergency only with these (not "a little drowsy").
_ALCOHOL = re.compile(r"\b(?:alcohol|drinks?|drinking|drank|drunk|beers?|wine|vodka|whiske?y|"
                      r"liquor|booze|shots|tequila|rum|gin)\b")
_UNWELL = re.compile(
    r"\b(?:confused(?! about| by| why| if| whether| as to| how| what)|disoriented|incoherent"
    r"|vomiting|throwing up|threw up|puking|slurring|nodding off|passing out|not making sense"
    r"|(?:cant|cannot|couldnt|unable to|barely|hardly) (?:stay|keep|be|remain|breathe|walk|"
    r"stand|talk|speak|move|open)|(?:very|really|so|super|extremely|too) (?:drowsy|sleepy|"
    r"groggy|sedated|out of it)|hard to (?:wake|rouse))\b")
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

# --- poisoning: Poison Control ---------------------------------------------------------------
# An ACCIDENTAL ingestion: a young child or a pet into medicines, or a dosing mistake (a double
# dose, the night dose twice, someone else's pills by mistake, a child given too much). Said in
# the past tense, of a real person: "what if I take a double dose?" and "keep pills away from
# children" are questions. Medicines here are named more widely than _PILLS (a toddler gets
# into the Tylenol as often as the Klonopin), plus the household products Poison Control is
# called about most; "bars" and "pins" (benzo slang) are left out: a kid who ate two chocolate
# bars had lunch.
# Medicines people name by brand or generic name, beyond the usual endings matched in _MEDS:
# sleep aids, psychiatric drugs, blood thinners, heart, seizure and ADHD medicines.
_DRUG_NAMES = (r"(?:ambien|zolpidem|lunesta|eszopiclone|trazodone|seroquel|quetiapine|gabapentin|"
               r"neurontin|lyrica|pregabalin|lexapro|zoloft|prozac|paxil|celexa|wellbutrin|bupropion|"
               r"effexor|cymbalta|lithium|abilify|risperdal|zyprexa|haldol|lamictal|lamotrigine|keppra|"
               r"depakote|tegretol|dilantin|topamax|warfarin|coumadin|eliquis|xarelto|plavix|heparin|"
               r"digoxin|lasix|furosemide|synthroid|levothyroxine|lipitor|norvasc|glipizide|concerta|"
               r"vyvanse|focalin|strattera|clonidine|guanfacine|flexeril|baclofen|robaxin|soma|"
               r"norco|dilaudid|morphine|codeine|kratom|nyquil|dayquil|tylenol pm|advil pm|unisom|"
               r"dramamine|zyrtec|claritin|allegra|sudafed|imodium|pepto|midol|excedrin|"
               r"(?:iron|potassium|magnesium|fluoride) (?:pills?|tablets?|supplements?)|supplements?|"
               r"(?:blood thinners?|water pills?|muscle relaxers?|sleep aids?|heart medicine)|"
               r"nitroglycerin|nitro|ozempic|semaglutide|benzonatate|tessalon|promethazine|phenergan|"
               r"ondansetron|zofran|hydroxyzine|atarax|buspirone|buspar|propranolol|doxylamine|"
               r"diphenhydramine|dextromethorphan|colchicine|methotrexate)")
_MEDS = (r"(?:pills?|tablets?|tabs|capsules?|caps|meds|medications?|medicines?|prescriptions?|"
         r"(?:gummy |chewable |prenatal |iron )?vitamins?|(?:vitamin|melatonin|sleep|thc|cbd|weed|pot) "
         r"gumm(?:y|ies)|edibles?|klonopins?|clonazepam|benzos?|benzodiazepines?|xanax|valium|"
         r"ativan|painkillers?|opioids?|oxy\w*|percocets?|vicodin|hydrocodone|tramadol|fentanyl|"
         r"methadone|suboxone|adderall|ritalin|tylenol|acetaminophen|paracetamol|ibuprofen|advil|"
         r"motrin|aspirin|aleve|naproxen|benadryl|melatonin|insulin|antidepressants?|sleeping \w+|"
         r"(?:blood pressure|heart|diabetes|thyroid|allergy) \w+|cough (?:syrup|medicine)|patch(?:es)?|"
         r"bleach|detergent|(?:laundry|tide|detergent|dishwasher) pods?|cleaners?|cleaning \w+|"
         r"antifreeze|nicotine|vape \w+|e ?liquid|(?:button |lithium )?batter(?:y|ies)|rat poison|"
         r"poison|pesticides?|weed killer|lamp oil|mouthwash|hand sanitizer|antibiotics?|"
         r"antihistamines?|steroids?|prednisone|inhalers?|(?:eye|ear|nose) drops|"
         # drug names by their usual endings: lorazepam, lisinopril, metoprolol, amoxicillin...
         r"\w+(?:azepam|zolam|pril|sartan|olol|statin|mycin|cillin|cycline|azole|oxetine|traline|"
         r"tidine|prazole|codone|morphone|triptan|formin|floxacin|dronate|dipine|triptyline|pramine|"
         r"faxine|apine|idone|barbital)|" + _DRUG_NAMES + ")")
# Young children and pets: whatever amount they got, Poison Control triages it (and a teen or
# an adult who "ate a whole bottle" stays an emergency: intent cannot be ruled out).
_YOUNG = (r"(?:babys?|babies|infants?|newborns?|tod+l+ers?|todd?lers?|kids?|kiddos?|child|childs|children|"
          r"preschoolers?|grandbab(?:y|ies)|[1-9] ?(?:yo|yrs? old|yr|y o)|(?:[1-9]|1[0-2]) ?(?:mo|mos|"
          r"month|months) old|"
          r"little (?:one|ones|boy|girl|guy|man|brother|sister)|grand(?:child|children|kids?|sons?|"
          r"daughters?|baby)|(?:[1-9]|1[0-2]|one|two|three|four|five|six|seven|eight|nine|ten|"
          r"eleven|twelve) (?:years?|yrs?|yr|y) old|\d+ (?:months?|mos?|weeks?|wks?) old|[1-9] yo|"
          r"dogs?|puppy|pup|cats?|kitten|kitty|pets?)")
# Their own daily medicine is not a poisoning ("my son swallowed his pill"); "his whole bottle",
# "all of her vitamins" are.
_NOT_OWN = r"(?!(?:his|her|their|its) (?:own )?(?:\w+ )?{_MEDS}\b)".replace("{_MEDS}", _MEDS)
_GAP = r"(?:(?!i |we |you |they |and |then |before |after |because |but |so |while )\w+ )"
_MISTAKE = (r"\b(?:by (?:mistake|accident)|mistakenly|accident(?:al)?ly|accidently|inadvertently|"
            r"unintentionally|without (?:thinking|realizing|realising)|(?:forgot|(?:didnt|did not) "
            r"(?:realize|realise|remember|notice)) (?:that )?(?:i|he|she|we|they) (?:had )?already|"
            r"already (?:took|taken|had|given|gave)|mix(?:ed)? ?up|mixed (?:the|my|his|her|them)|"
            r"confused (?:the|my|his|her|them)|(?:got|gets|was|is|were) (?:\w+ )?confused and|"
            r"(?:grabbed|picked up) the wrong|wrong (?:\w+ )?(?:"
            r"pills?|tablets?|meds|medications?|medicines?|bottle|dose|prescription|one)|"
            r"(?:thinking|thought) (?:it|they|that|those|these) (?:was|were) (?:mine|his|hers|"
            r"theirs|candy|vitamins?|(?:my|his|her|their|a|an) \w+ (?:pills?|meds|medicine))|instead of (?:one|1|half"
            r"|a half|mine|his|hers|theirs|(?:my|his|her|their) own)|oops)\b")
# A mistake said only about timing or food is not a poisoning ("I accidentally took it late").
_TIMING = re.compile(r"\b(?:late|early|wrong time|empty stomach|without (?:food|water|eating)|"
                     r"with (?:food|a meal|milk|juice|grapefruit|coffee|tea|water)|after (?:eating|"
                     r"a meal|dinner|breakfast|lunch)|before (?:eating|a meal|bed|breakfast))\b")
_TOO_MUCH = re.compile(r"\b(?:twice|double|extra|too (?:much|many)|another|again|second|two|"
                       r"both|more|\d+)\b")
# A young child or a pet into medicines or household products; what they did first may be said
# before "and" ("the kids got into grandma's purse and ate some pills"), and a pill put in the
# mouth counts as swallowed. A hedge ("i think she ate") does not make the asker the subject.
_SUBJECT_GAP = (r"(?:(?:i|we) (?:think|guess|believe|bet|fear|suspect|am pretty sure) |"
                r"(?!i |we |you |they |then i |then we |before |after |because |but |so |while )\w+ )")
_CHILD_OR_PET = re.compile(
    rf"\b{_YOUNG} {_SUBJECT_GAP}{{0,8}}?(?:ate|eaten|swallowed|chewed|chewing|bit|bitten|licked|"
    rf"sucked on|drank|drunk|got in ?to|gotten in ?to|got (?:a )?hold of|got ahold of|found|"
    rf"chugged|gobbled) {_NOT_OWN}{_GAP}{{0,5}}?{_MEDS}\b"
    rf"|\b{_YOUNG} {_GAP}{{0,4}}?(?:put|stuck|popped|had|has) (?:\w+ ){{0,3}}?{_MEDS} (?:\w+ )?in "
    rf"(?:his|her|their|its|the) mouth\b")
# Dosing mistakes; read only when the message names a medicine or a dose ("I took the test
# twice", "they both gave me advice" are not about medicines).
_DOSING_ERRORS = [re.compile(p) for p in (
    # a double dose, the dose twice, an extra one (not "twice a day", "twice in my life")
    rf"\b(?:double ?dos(?:ed|ing)|doubled up|(?:took|"
    rf"taken|had|gave|given|swallowed|injected|used) (?!away )(?:(?!only )\w+ ){{0,4}}?(?:a |an )?(?:double|"
    rf"extra) (?:the |my |his |her |their )?(?:\w+ )?(?:dose|doses|dosage|amount|{_MEDS})|(?:took|"
    rf"gave|given|swallowed|injected) (?:(?!only )\w+ ){{0,4}}?(?:twice|two times|double)\b(?! "
    r"(?:a|per|each|every|daily|weekly|before|so far|ever|(?:in|this|last) (?:my|his|her|their|the|"
    r"a|\d+|two|three|several|many|week|month|year|summer|winter))\b))",
    # a caregiver's mistake: given too much, twice, the wrong medicine; two people both gave it
    r"\b(?:gave|given) (?!me\b|us\b)(?:\w+ ){0,4}?(?:too (?:much|many)|the wrong|someone elses)"
    r"|\bboth (?:\w+ )?(?:gave|given)\b",
)]
_MEDICINE_NAMED = re.compile(rf"\b(?:{_MEDS}|doses?|dosage|dosed|dosing)\b")
# Someone else drowsy or confused after a medicine, said together with an overdose or "after" the
# medicine ("my father is confused and very sleepy after his klonopin, is that an overdose?"): a
# suspected overdose, which Poison Control triages. Said of oneself it is a side effect ("I'm very
# drowsy after my klonopin"), unless alcohol came with it (`_UNWELL` with `mixed` above).
_SUSPECTED = re.compile(rf"\b(?:overdos\w*|od|too (?:much|many)|after (?:\w+ ){{0,3}}?{_MEDS})\b")
# Any past intake read with a _MISTAKE marker in the same sentence.
_INTAKE = re.compile(rf"\b(?:took|taken|swallowed|ate|eaten|gave|given|had|used|injected|drank|"
                     rf"overdosed|doubled) (?:\w+ ){{0,5}}?(?:{_MEDS}|dose|doses|it|them|one|another|some|"
                     r"more|extra|twice|again|\d+|two|three)\b")
_MISTAKE_RE = re.compile(_MISTAKE)
# Weaker: someone (not the asker) got into or ate some of another person's medicine. Beaten by
# an overdose ("my daughter swallowed a whole bottle" stays 911: a teen's intent is unknown).
_RELATIVE = (r"(?:son|daughter|nephew|niece|brother|sister|cousin|husband|wife|dad|father|mom|"
             r"mother|mum|grandma|grandpa|grandmother|grandfather|granny|nana|aunt|uncle|"
             r"(?:little|younger|baby) \w+|boy|girl|teen|teenager)")
_SOMEONE_INTO = [re.compile(p) for p in (
    # a relative ate or drank a medicine not theirs, or straight from the bottle
    rf"\b{_RELATIVE} {_GAP}{{0,4}}?(?:ate|eaten|swallowed|chewed|drank|drunk|chugged|licked) (?:some "
    rf"of |a bunch of |a lot of |all of |half (?:of )?|the rest of |a whole |the whole )?(?:my|our|your|"
    rf"(?!his |her |their )\w+s|someone elses) (?:\w+ ){{0,2}}?{_MEDS}\b",
    rf"\b(?:drank|drunk|chugged|swallowed|ate|eaten|downed) (?:\w+ ){{0,3}}?{_MEDS} (?:straight |right "
    rf"|directly )?(?:from|out of) the (?:\w+ )?(?:bottle|jar|container|box|pack)\b",
    rf"\b(?:got|gotten) (?:in ?to|a ?hold of|ahold of) {_NOT_OWN}{_GAP}{{0,4}}?{_MEDS}\b",
    rf"\b(?:ate|eaten|chewed|swallowed|took|taken) (?:some|one|a few|a couple|several|a handful|a "
    rf"bunch|all|\d+|two|three|four) (?:\w+ )?of (?:my|our|your|(?:his|her|their|my|our) \w+s|"
    rf"(?!his )\w+s) (?:\w+ ){{0,2}}?{_MEDS}\b",
)]
# "Poison Control" questions in the first-aid form: "what do I do, my dog ate my pills".
_POISON_ACTION = re.compile(rf"\b(?:what (?:do|should|can|must) (?:i|we|you) do|what to do|first "
                            rf"aid|call poison control)\b.*\b{_YOUNG} (?:\w+ ){{0,4}}?(?:eats|ate|"
                            rf"swallows|swallowed|chews|chewed|gets into|got into) (?:\w+ ){{0,4}}?"
                            rf"{_MEDS}\b|\b{_YOUNG} (?:\w+ ){{0,4}}?(?:eats|ate|swallows|swallowed|"
                            rf"chews|chewed|gets into|got into) (?:\w+ ){{0,4}}?{_MEDS}\b.*\b(?:what"
                            r" (?:do|should|can|must) (?:i|we|you) do|what to do)\b")

# --- crisis: 988 -----------------------------------------------------------------------------
# A crisis whoever asks: said of oneself, asking for a lethal amount, or for the crisis line.
_CRISIS_ALWAYS = re.compile(
    r"\b(?:kill+|killing|kil|unalive|harm|harming|hang|"
    r"hanging|shoot|shooting|drown|poison|starve|starving) (?:my ?self|me self)\b|\b(?:kms|"
    r"unalive|sewer slide|suicide (?:hotline|helpline|line)|crisis line|988|end(?:ing)? (?:it "
    r"all|my (?:own )?life)|tak(?:e|ing) my (?:own )?life|(?:nobody|no one|noone) (?:would|will) "
    r"(?:even )?(?:miss me|care if i|notice (?:if|when) (?:i|im) (?:was |were |am )?(?:gone|dead|"
    r"died|disappeared|not here|wasnt here))|better off (?:dead|without me|with me gone|if i (?:was|were|"
    r"wasnt|werent|wasnt here|died|am gone|was gone|were gone|didnt exist))|(?:no|dont see (?:the|"
    r"any)|(?:whats|what is) (?:even |really )?the|is there (?:even )?any|theres no|there is no) "
    r"(?:real )?(?:reason|point|will|purpose) "
    r"(?:to|in|of) (?:live|living|life|go on|going on|be alive|being alive|anything|it all|wake "
    r"up|waking up|keep going|trying any ?more)|nothing (?:left )?to live for|wish i (?:was|were|could be) "
    r"dead|wish i (?:could )?die|wish i (?:was|were) never born|never wake up again|(?:sleep|fall "
    r"asleep|close my eyes) (?:\w+ ){0,3}(?:and|then) (?:just )?(?:never|not|dont) (?:to )?wake|"
    r"(?:hope|hoping|pray|praying|wish) (?:that )?(?:i )?(?:dont|do not|never|wont|will not|not "
    r"to) wake up|sleep (?:\w+ ){0,2}forever|(?:cant|cannot) go on (?:like this|anymore|any more|"
    r"living)|(?:cant|cannot|can not) (?:do|handle|bear) (?:this|it|life|any of this) any ?more|"
    r"(?:cant|cannot|can not) take (?:it|this) any ?more$|not worth living|life isnt worth|(?:life|"
    r"everything) (?:is|feels) (?:pointless|meaningless|hopeless)|done with (?:life|living|"
    r"everything|it all|being alive)|tired of (?:living|being alive)|(?:slit|cut) my wrists|jump "
    r"(?:off|from) (?:a|the) (?:bridge|building|roof)|(?:feel|feeling|felt) (?:\w+ )?suicidal|"
    r"(?:take|takes|enough|many|much) (?:\w+ ){0,3}to (?:kill me|die)|(?:im|i am|i feel like|feel "
    r"like|i feel|im just|im such) (?:such )?(?:a )?burden(?! of)|want (?:it all|everything|all "
    r"of it|all this|my life) to (?:end|be over|stop)|(?:wish|want|wanna) (?:i could |to )?(?:just "
    r")?(?:disappear forever|stop existing|cease to exist|not exist)|(?:by the time|when) (?:you|"
    r"anyone|someone|somebody) (?:reads?|sees?|finds?) this|this is (?:my|the) last (?:message|"
    r"goodbye|post|text))\b")
# The same, said in more words: each alternative is a class of wordings, not one sentence.
_WANT = r"(?:want|wnat|wan|wanna|wana|wish|feel like|care)"  # "dont wanna", "dont feel like"
_END_WORDS = r"(?:die|dying|death|dead|suicide|end it|ending it|end my life|kill myself|killing myself)"
_CRISIS_MORE = re.compile(
    # not wanting to live, be here, wake up (not "live with my parents", "be here all day")
    r"\b(?:dont|do not|doesnt|does not|didnt|no longer|never|not) (?:really |even |just )?"
    rf"{_WANT} (?:to |2 )?(?:live|living|be alive|being alive|exist|existing|be here|being here|wake "
    r"up|waking up|go on|going on|keep living|keep going|be around|be in this world)"
    r"(?= anymore| any more| no more| now| today| tonight| tomorrow| ever| again| like this| honestly|"
    r" tbh| lol| i | and | but | so |$)"
    # tired or sick of living; hating being alive; wishing not to exist
    r"|\b(?:tired|sick|exhausted|weary) (?:of|from) (?:living(?! with| in| on| at| paycheck| off)|"
    r"being alive|existing|life(?= anymore| any "
    r"more|$| i | and )|this life|trying to stay alive|waking up every day)\b"
    r"|\bhate (?:being alive|existing|that i am alive|that im alive|waking up every day)\b"
    r"|\bwish (?:i|he|she) (?:wasnt|werent|was not|were not|didnt|did not|would not|wouldnt) "
    r"(?:alive|exist|existing|wake up|born)\b"
    r"|\b(?:rather|prefer to) (?:just )?(?:be dead|die)\b(?! than (?!(?:live|go on|keep living|be "
    r"alive|wake up|keep going)\b))"
    r"|\b(?:i|he|she) (?:\w+ )?(?:deserves? to|should|ought to|need to|needs to) (?:just )?(?:die|be "
    r"dead|not be alive|not exist|kill (?:my|him|her)self|end (?:it all|my life|his life|her life))\b"
    r"(?! of (?:embarrassment|shame|laughter|boredom|cringe))"
    r"|\b(?:want|wants|wanna|wanted) (?:to |2 )di+e+\b(?! (?:\w+ ){0,3}(?:hair|clothes|shirt|jeans|"
    r"fabric|eyebrows|beard|roots|lashes|eggs|colou?r))"
    r"|\b(?:nobody|no one|noone|no body) (?:\w+ )?cares? (?:if|whether) (?:i|im) (?:live|die|dead|"
    r"alive|gone|here|disappear)\b"
    # no way out, death the only way out
    r"|\b(?:no|dont see (?:a|any|another)|do not see (?:a|any)|cant see (?:a|any|another)|cannot see "
    r"(?:a|any)|there is no|theres no|there isnt (?:a|any)) (?:other )?way out(?= anymore| any more|$| "
    rf"except| but| other than| besides| than| of (?:this life|life|living|this pain|the pain))"
    rf"|\bonly (?:way out|option|answer|solution|escape|choice|way to stop (?:the|this) pain)(?: \w+)?"
    rf" (?:is|would be|seems|left is|i have is|i see is) (?:to )?{_END_WORDS}\b"
    rf"|\b{_END_WORDS} (?:is|seems|feels like|would be) (?:the|my) (?:only|best|easiest) (?:way out|"
    r"option|answer|solution|choice|escape|way)\b"
    r"|\b(?:whats|what is) (?:even |really |the )?(?:the )?point (?:anymore|any more|of (?:it all|anything|"
    r"me|going on|trying|life|being alive|being here|waking up|even trying)\b)"
    # how many would it take to die or not wake up (not "how many people die of")
    r"|\bhow (?:many|much)(?! people| persons| patients| americans| men| women| children| kids| adults"
    r"| deaths| years| times| cases| hours| days)(?: \w+){0,6}? (?:would|will|does|do|could|can|should|"
    r"it|to|until|till|before) (?:\w+ ){0,3}?(?:die|not wake(?: up)?|never wake(?: up)?|kill (?:me|"
    r"myself|him|her|a person|someone|you|an adult)|end it|end my life|stop (?:my|his|her|your|a) "
    r"heart|be fatal|be lethal)\b"
    # means, with an intent: a bridge, a train, a car
    r"|\b(?:jump|jumping|leap|leaping|throw (?:my|him|her)self|throwing (?:my|him|her)self) (?:off|from|"
    r"in front of|under) (?:a|the|my|this|that|our|his|her|some) (?:\w+ ){0,2}?(?:bridge|building|roof|"
    r"rooftop|cliff|balcony|overpass|window|train|bus|truck|car|tower|garage|skyscraper|ledge|highway|"
    r"freeway|subway)\b(?! (?:into|onto|in) (?:the |a )?(?:water|lake|river|pool|ocean|sea|trampoline))"
    r"|\b(?:step|stepping|walk|walking|run|running) (?:out )?in front of (?:a|the) (?:train|bus|truck|"
    r"car|subway)\b|\b(?:drive|driving|crash|crashing|steer|wreck|wrecking) (?:my|his|her) car "
    r"(?:into|off) (?:a|the) (?:tree|wall|bridge|river|cliff|pole|truck|lake|barrier)\b"
    # goodbyes of one's own
    r"|\b(?:this is|these are) (?:my|the) (?:last|final) (?:words|goodbye|message|note|letter)\b")
# Self-harm said in the past or with a body part: "burned myself with a lighter again", "been
# cutting my arms". Read unless the sentence is about an accident ("cut myself cooking").
_SELF_HARM = re.compile(
    r"\b(?:hurt|hurting|cut|cutting|burn|burning) (?:my ?self|me self)\b"
    r"|\b(?:cutting|carving|slashing|slicing) (?:up |into )?(?:on )?(?:my|his|her|their) (?:own )?"
    r"(?:arms?|wrists?|thighs?|legs?|skin|stomach|belly|hips?|body|forearms?)\b"
    r"|\b(?:(?:cut|cuts|cutting|burn|burns|burned|burnt|burning|scratch|scratched|scratching|hit|"
    r"hitting|punch|punched|punching|hurt|hurting|harm|harmed|harming|carve|carved|bruise|bruised|stab|"
    r"stabbed|starve|starved|starving) (?:my|him|her|them)sel(?:f|ves)|(?:cut|cuts|burn|burns|burned|"
    r"burnt|burning|scratched|scratching|carved|stabbed|stabbing|slashed|cutting) (?:my|his|her|their) (?:own )?(?:arms?|wrists?|"
    r"thighs?|legs?|skin|stomach|belly|hips?|forearms?))(?: \w+){0,4}? "
    r"(?:with (?:a |the |my |his |her |some )?(?:lighter|cigarettes?|matche?s?|razors?|razor blades?|"
    r"blades?|knife|knives|glass|scissors|pencil sharpener|compass|needles?|hot \w+)|again|on purpose|"
    r"deliberately|intentionally|to (?:feel|cope|punish|stop|calm|numb|forget|deal)|when (?:i|he|she) "
    r"(?:am|is|feel|feels|get|gets) (?:sad|upset|angry|stressed|overwhelmed|depressed|bad)|every "
    r"(?:day|night|week))\b"
    r"|\b(?:(?:has|have|had|keeps?|kept|started|been|is|was|still|always) )(?:\w+ )?(?:(?:cutting|"
    r"burning|hurting|harming|starving) (?:him|her|them)sel(?:f|ves)|cutting (?:my|his|her|their) "
    r"(?:arms?|wrists?|thighs?|legs?|skin|body))\b")
_ACCIDENT = re.compile(r"\b(?:cook\w*|kitchen|shav\w*|chopp\w*|slic\w* (?:the|an?|some)|"
                       r"accident\w*|by mistake|slipped|fell|fall|falling|trip\w*|stove|oven|iron|"
                       r"pan|grill|curling|sun|sunburn\w*|work|working|gym|lifting|exercis\w*|running|"
                       r"playing|sports?|football|soccer|practice|bike|skat\w*|ski\w*|garden\w*|"
                       r"opening|tripped|crash|car|wreck|nail|paper)\b")
# A crisis when said of a real person, not asked in general ("the risk of suicide", "is giving
# away belongings a warning sign?"): the warning signs a relative notices, and saying it.
_CRISIS = re.compile(
    r"\b(?:suicidal|self ?harm\w*|(?:commit|committed|committing|attempt|attempted|attempting|"
    r"tried|thinking about|thinking of|thought about|considering|planning|talking about|talks "
    r"about|talked about) (?:to )?(?:\w+ )?suicide|suicide (?:attempt|note|plan)|(?:kill|hurt|"
    r"harm|cut) (?:him|her|them)sel(?:f|ves)|(?:kill|kills|killing|killed) (?:him|her|them)sel(?:f|ves)"
    r"|(?:end|ends|ending|ended) (?:his|her|their) (?:own )?li(?:fe|ves)(?! support)|(?:take|takes|"
    r"taking|took|taken) (?:his|her|their) own li(?:fe|ves)|(?:going|gonna|want|wants|wanted|wanna|"
    r"tried|trying|try|threaten\w*|plan\w*|thinking about|thought about|talk\w* about|ready) (?:to )?"
    r"(?:end|ending|take|taking) (?:his|her|their) (?:own )?li(?:fe|ves)|(?<!dont )"
    r"(?<!not )(?:want|wants|wanted|wanting|wanna|ready|just want) to di+e+|wanna di+e+)\b"
    r"(?! (?:\w+ ){0,2}hair)|\b(?:overdos\w* (?:\w+ )?on purpose|(?:intentional|deliberate)"
    r"(?:ly)? overdos\w*|(?:took|take|swallowed) (?:\w+ ){0,5}on purpose)\b"
    r"|(?<!\bam i )(?<!\bis he )(?<!\bis she )"
    r"\b(?:want|wants|wanna|going|gonna|plan|planning|thinking about|thinking of|tempted|ready|"
    r"trying|considering|urge|urges|about) (?:to )?(?:\w+ )?(?:overdose|overdosing|od|end(?:ing)? (?:it|"
    r"things|everything)\b(?! with| for| off)|(?:take|taking|swallow|swallowing|down|downing|pop|"
    r"popping|chug|chugging) (?:all|every|the whole|a whole|them all|the rest|a bottle|a handful|the "
    r"bottle|everything))\b"
    # goodbye letters, goodbyes to everyone
    r"|\b(?:wr[io]te|written|writing|writes|left|leaving|leaves|found|finding|sen[dt]\w*|post\w*|"
    r"record\w*|shar\w*) (?:\w+ ){0,3}?(?:goodbye|good bye|farewell) (?:letters?|notes?|messages?|texts?|"
    r"emails?|posts?|videos?|cards?)\b|\b(?:letters?|notes?|messages?|texts?|emails?|videos?) "
    r"(?:\w+ ){0,5}?(?:saying|to say|that (?:said|says)) (?:goodbye|good bye|farewell|bye)\b"
    r"|\b(?:say|says|said|saying|texted|texting|called|calling|"
    r"messaged|messaging) (?:his |her |my |their )?(?:goodbyes?|good byes?|bye) to (?:everyone|"
    r"everybody|all of (?:us|them|his|her|my|their)|all (?:his|her|my|their) \w+|the whole "
    r"family|the family|us all)\b|\b(?:saying|said|say|says|told (?:\w+ )?|telling (?:\w+ )?)goodbye (?:\w+ ){0,4}?(?:like|as if|"
    r"as though) (?:\w+ ){0,3}?(?:last|never|wont|not)\b|\b(?:called|calling|texted|texting|"
    r"messaged|visited|visiting|rang) (?:everyone|everybody|all (?:of )?(?:us|them|his \w+|her \w+|"
    r"my \w+)|the whole family|each of us) (?:\w+ ){0,2}?to say (?:goodbye|good bye|bye)\b"
    # a burden, better off without him, cannot do this anymore: said of a relative
    r"|\b(?:hes|shes|he is|she is|they are|(?:he|she|they) (?:feels?|thinks?) (?:like )?)(?: just)?"
    r"(?: such)? a burden\b(?! of)|\bbetter off without (?:him|her|them)\b|\b(?:he|she|they) "
    r"(?:cant|cannot|can not) (?:do|handle|take) (?:this|it|life) any ?more\b"
    # stockpiling pills (not for a trip or a shortage: see _STOCK_BENIGN)
    rf"|\b(?:stockpil\w*|hoard\w*|stash\w*|sav(?:e|es|ed|ing) (?:\w+ ){{0,3}}?up(?! for)|saving "
    rf"(?:\w+ )?up|collect(?:s|ed|ing)|squirrel\w* away|secretly (?:saving|keeping|hiding)) "
    rf"(?:up )?(?:\w+ ){{0,3}}?(?:{_MEDS}|them|those)\b|\b(?:sav\w*|keep\w*|kept|hid\w*|hiding|"
    rf"putting aside|set\w* aside) (?:\w+ ){{0,4}}?(?:{_MEDS}|them) (?:\w+ ){{0,5}}?(?:take "
    r"(?:them |those |it )?all|all (?:at once|together|in one go)|enough (?:to|for)|for when (?:i|"
    r"he|she) (?:want|need|decide|am ready|is ready))\b"
    # searching for a lethal amount
    r"|\b(?:search\w*|googl\w*|look\w* up|looked up|research\w*|history|asked (?:me |about |how )"
    r"|asking (?:me |about |how )|reading about) (?:\w+ ){0,6}?(?:lethal|fatal|deadly|painless "
    r"(?:way|death|ways)|how to (?:die|kill|overdose|od|end)|how (?:many|much) (?:\w+ ){0,4}?(?:to|"
    r"would|will|it takes|does it take|could|can) (?:\w+ ){0,2}?(?:die|kill|overdose|od|be fatal|"
    r"be lethal|end))\b"
    # a plan
    r"|\b(?:made|make|making|have|has|had|got|came up with|worked out|figured out) (?:a |the |my |"
    r"his |her )?(?:\w+ )?plan (?:to|for|of|on how to|how to) (?:\w+ ){0,2}?(?:end (?:it|things|"
    r"everything|my|his|her|their)|die|dying|kill|killing|overdose|od|jump|hang|take (?:them|all|"
    r"every|the whole))\b|\b(?:picked|chosen|chose|set|decided on) (?:a|the) (?:date|day|time|way|"
    r"method) (?:to|for) (?:die|dying|do it|end|kill|go)\b|\b(?:have|has|had|made) a plan and (?:a|"
    r"the) (?:date|pills|means|gun|rope)\b")
# "suicidal thoughts" named as a side effect or a warning is a question, not a person's crisis.
_AS_EFFECT = re.compile(r"\b(?:side ?effects?|adverse|warnings?|warns?|labels?|leaflet|insert|"
                        r"listed|lists?|black box|boxed|fda|risk|risks|cause|causes|causing|"
                        r"increase|increases|increased|linked|associated|such as|like|including)"
                        r"(?: \w+){0,3}$")
_EFFECT_AFTER = re.compile(r"^(?:\w+ ){0,4}(?:listed|as an? (?:possible )?(?:side effect|warning|"
                           r"risk))\b")
# Giving belongings away is a warning sign only with a sense of ending, and not when moving.
_GIVING_AWAY = re.compile(
    r"\b(?:giv\w*|gave|given) (?:all |most |some |many )?(?:of )?(?:my|his|her|their) (?:\w+ ){0,3}?"
    r"\w+ away\b|\b(?:giv\w*|gave|given) away (?:all |most |some |many )?(?:of )?(?:my|his|her|"
    r"their|everything)\b|\bgiv\w* (?:everything|it all|all of it) away\b")
# Belongings as such ("his things") are a sign by themselves; a guitar needs a sense of ending.
_ENDING = re.compile(
    r"\b(?:(?:wont|will not|dont|do not|doesnt|does not|not going to|no longer) (?:need|be "
    r"needing)|where (?:im|i am|hes|he is|shes|she is|i|he|she|theyre) (?:going|goes)|(?:wont|will"
    r" not|not going to|not gonna) be (?:here|around)|goodbye|good bye|farewell|(?:after|when|once)"
    r" (?:im|i am|hes|he is|shes|she is|i|he|she) (?:gone|dead|die|dies)|last (?:wish|wishes|time)|"
    r"everything|all (?:of )?(?:his|her|my|their)|prized|favou?rite|suddenly|out of nowhere|things|"
    r"stuff|belongings|possessions|valuables|treasures|keepsakes)\b")
_BENIGN_AWAY = re.compile(r"\b(?:mov(?:e|es|ed|ing)|downsiz\w*|declutter\w*|charity|donat\w*|"
                          r"garage sale|yard sale|minimalis\w*|outgr\w*|spring clean\w*|clean\w* "
                          r"out|retir\w*|nursing home|assisted living|care home|estate|inherit\w*|"
                          r"christmas|birthday|gifts?|(?:old|spare|extra|unused) (?:\w+ )?(?:clothes|"
                          r"toys|books|things|stuff|furniture))\b")
_STOCK_BENIGN = re.compile(r"\b(?:travel\w*|trip|vacation|holiday|abroad|insurance|shortage|"
                           r"backorder\w*|hurricane|storm|disaster|emergency kit|refills?|run(?:ning)?"
                           r" out|pharmacy|deploy\w*|prepper|supply chain|afford|cost|money|"
                           r"coupons?)\b")
_BENIGN_FAREWELL = re.compile(r"\b(?:retir\w*|cowork\w*|colleagues?|team|job|work|office|"
                              r"graduat\w*|last day|mov(?:e|es|ed|ing)|class|school|vacation)\b")
# "It was not an accident" after an ingestion is intent: the crisis notice.
_NOT_ACCIDENT = re.compile(r"\b(?:wasnt|was not|werent|were not|not|isnt|is not|never) (?:an? )?"
                           r"(?:accident|mistake)\b(?! (?:that|when|if))")

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


def _found(patterns: list[re.Pattern[str]], s: str, q: bool, third_only: bool = False) -> bool:
    """Does any pattern match `s` about a real person (see `_real`)?"""
    return any(_real(s, m.start(), q, True, third_only) for p in patterns for m in p.finditer(s))


def _crisis(s: str, q: bool) -> bool:
    if _CRISIS_ALWAYS.search(s) or _CRISIS_MORE.search(s):
        return True
    if (m := _SELF_HARM.search(s)) and not _ACCIDENT.search(s) and _real(s, m.start(), q, False):
        return True
    for m in _CRISIS.finditer(s):
        if m.group().startswith("suicidal") and (_AS_EFFECT.search(s[:m.start()].rstrip())
                                                 or _EFFECT_AFTER.search(s[m.end():].lstrip())):
            continue  # "Klonopin lists suicidal thoughts as a side effect"
        if re.match(r"stockpil|hoard|stash|sav|collect|squirrel|secretly", m.group()) and \
                _STOCK_BENIGN.search(s):
            continue  # "stockpiling my meds before the trip"
        if re.search(r"goodbye|good bye|farewell", m.group()) and _BENIGN_FAREWELL.search(s):
            continue  # "a farewell email to my coworkers since I'm retiring"
        if _real(s, m.start(), q, False):
            return True
    return False


def _poisoning(s: str, q: bool, medicine_named: bool) -> bool:
    """An accidental ingestion (young child or pet, a dosing mistake), said of a real person."""
    if _found([_CHILD_OR_PET], s, q) or _POISON_ACTION.search(s):
        return True
    if not medicine_named:
        return False
    if _found(_DOSING_ERRORS, s, q):
        return True
    if _MISTAKE_RE.search(s) and not (_TIMING.search(s) and not _TOO_MUCH.search(s)):
        return _found([_INTAKE], s, q)
    return False


Detected = Literal["emergency", "poisoning", "crisis"]


def detect(message: str, *, fuzzy: bool = True) -> Detected | None:
    """Return "crisis", "emergency", "poisoning" or None, the most urgent found.

    Crisis wins (its text also says to call 911). Then the signs of an emergency now (not
    breathing, cannot be woken, seizure, collapse, blue lips) beat a poisoning; an accidental
    ingestion (a young child or a pet, a double dose, "by mistake") beats an overdose; an
    overdose (too much taken, intent unknown) is an emergency; a weaker poisoning (someone
    got into another person's pills) comes last. `fuzzy=False` matches words as written, with no
    pull towards the trigger words: for a message in another language ("suicidas" is Spanish,
    not a typo of "suicidal").
    """
    sentences = _sentences(message, fuzzy)
    whole = " ".join(s for s, _ in sentences)
    mixed = bool(_ALCOHOL.search(whole) and re.search(rf"\b{_PILLS}\b", whole))
    medicine_named = bool(_MEDICINE_NAMED.search(whole))
    suspect = medicine_named and bool(_SUSPECTED.search(whole))
    signs = overdose = poisoning = someone_into = suspected = False
    for s, q in sentences:
        if _crisis(s, q):
            return "crisis"
        for pattern, third_only in _SIGNS + [(_UNWELL, False)] * mixed:
            signs = signs or _found([pattern], s, q, third_only)
        action = _ACTION.search(s) and _ACTION_TOPIC.search(s)  # first aid: see _ACTION
        signs = signs or bool(action and not action.group().startswith("overdos"))
        overdose = overdose or _found(_OVERDOSE, s, q) or bool(action)
        poisoning = poisoning or _poisoning(s, q, medicine_named)
        someone_into = someone_into or _found(_SOMEONE_INTO, s, q, third_only=True)
        suspected = suspected or (suspect and _found([_UNWELL], s, q, third_only=True))
    if not signs and _HEAD_INJURY.search(whole) and _UNWELL.search(whole):
        signs = any(_real(s, 0, q, True) for s, q in sentences if _HEAD_INJURY.search(s) or
                    _UNWELL.search(s))
    signs = signs or any(_NOT_MOVING.search(s) and _real(s, 0, q, True) for s, q in sentences)
    ingested = overdose or poisoning or someone_into
    if ingested and _NOT_ACCIDENT.search(whole):
        return "crisis"  # "I took them all and it wasn't an accident"
    if (m := _GIVING_AWAY.search(whole)) and _ENDING.search(whole) and not _BENIGN_AWAY.search(whole) \
            and _real(whole, m.start(), "?" in message, False):
        return "crisis"  # giving belongings away, with a sense of ending
    if signs:
        return "emergency"
    if poisoning:
        return "poisoning"
    if overdose:
        return "emergency"
    return "poisoning" if someone_into or suspected else None


_ADDICTION = re.compile(
    r"\b(?:addict\w*|dependen\w*|withdrawals?|withdrawing|detox\w*|taper\w*|wean\w*|relaps\w*|"
    r"rehab\w*|abus\w*|misus\w*|hooked on|crav\w*|tolerance|quit(?:s|ting|ted)?|cold turkey|"
    r"recovery|sober\w*|narcotics anonymous|substance use|use disorder|(?:stop|stops|stopped|"
    rf"stopping) (?:\w+ )?{_PILLS}|(?:stop|stops|stopped|stopping) (?:taking|using)|{_PILLS} "
    r"(?:\w+ ){0,2}stopped|(?:get|getting|got|come|coming|came) off)\b")


def is_addiction_question(message: str) -> bool:
    """Is this about addiction, dependence, withdrawal or quitting (typos tolerated)?"""
    return bool(_ADDICTION.search(" | ".join(s for s, _ in _sentences(message))))
