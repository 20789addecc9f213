"""Make benchmarks/data/medquad_near_topic.jsonl: questions on a MedQuAD topic about an aspect
the corpus does not cover for it ("How is X diagnosed?" where nothing says how X is diagnosed).

    python benchmarks/make_near_topic.py   # reads ../shared/eval/medquad/corpus, seeded, same output each run

These are the "right topic, not covered" unanswerable questions: the topic words match pages
of the corpus, so a retriever finds something close, but no passage answers the question. A
record: {"qid", "question", "topic", "aspect", "answerable": false}.

Topics are the titles of GARD, GHR and NINDS pages (conditions, so that every aspect makes
sense; titles with parentheses, commas or over 60 characters are left out). Aspects are the
ones an overview rarely answers in passing: outlook, diagnosis, inheritance, treatment,
prevention and frequency (not symptoms or causes, which most overviews describe without
naming them). A (topic, aspect) pair is kept only when all three checks pass, so the aspect
is not covered anywhere we can see:

1. Headings: no page *about the topic* has a section of the aspect ("## Diagnosis", "## Outlook",
   … numbered repeats included). A page is about the topic when its title, case-folded, equals
   the topic, contains it as a phrase, or is contained in it ("achalasia" covers "familial
   esophageal achalasia" and the other way round), across all nine collections.
2. Text: no section of those pages, whatever its heading, uses the aspect's words (for
   diagnosis "diagnos", "test", "screen"…; see ASPECTS): an Overview saying "treatment may
   include surgery" covers treatment.
3. Elsewhere: no section of the aspect on any other page of the corpus names the topic.

What it leaves out: a page on a broader condition that answers for the topic without naming
it (CancerGov's "Thyroid Cancer" prognosis for "Papillary thyroid carcinoma"), synonyms of the
topic in other pages' text, and wording the lists miss; the lists are strict on purpose (a
topic is dropped when in doubt). Hand check of 60 generated questions against their pages: none
is answered by a section of its aspect; 3 get a partial hint of it from an overview, all
outlook ("rarely spreads", "some have no health problems") or from a broader page (the
thyroid case above). Over a third of the topics are GARD pages holding only a symptom table.
"""

from __future__ import annotations

import json
import random
import re
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "eval" / "medquad" / "corpus"
OUT = ROOT / "benchmarks" / "data" / "medquad_near_topic.jsonl"
TOPIC_COLLECTIONS = ("2_GARD_QA", "3_GHR_QA", "6_NINDS_QA")
PER_ASPECT = 65
SEED = 20


@dataclass(frozen=True)
class Aspect:
    heading: str  # the corpus's section heading for it
    words: str  # a regex: a page using any of these covers the aspect
    templates: tuple[str, ...]


ASPECTS = {
    "outlook": Aspect("Outlook", r"outlook|prognos|life expectancy|lifespan|life span|surviv|fatal|die[sd]?\b|death|mortality"
                      r"|normal|improv|progress|worsen|no symptoms|asymptomatic|permanent|life-?long|resolve|disappear"
                      r"|go away|recover",
                      ("What is the outlook for someone with {t}?", "What is the life expectancy of people with {t}?",
                       "Do people with {t} get better over time?")),
    "diagnosis": Aspect("Diagnosis", r"diagnos|\btest|screen|exam|biopsy|imaging|scan\b|\bmri\b",
                        ("How is {t} diagnosed?", "What tests do doctors use to find out if someone has {t}?",
                         "How would I know for sure that my child has {t}?")),
    "inheritance": Aspect("Inheritance", r"inherit|autosomal|x-linked|passed (?:down|on|from)|famil|hereditar"
                          r"|genetic|gene\b|genes\b|mutation",
                          ("Is {t} inherited?", "Can a parent pass {t} on to their children?",
                           "Does {t} run in families?")),
    "treatment": Aspect("Treatment", r"treat|therap|cure|medication|medicine|drug|surgery|surgical|manage"
                        r"|diet|supplement|benefit from|reliev",
                        ("How is {t} treated?", "What treatments are there for {t}?", "Is there a cure for {t}?")),
    "prevention": Aspect("Prevention", r"prevent|avoid|reduce the risk|lower the risk|vaccin|protect",
                         ("How can {t} be prevented?", "Is there anything I can do to avoid getting {t}?")),
    "frequency": Aspect("How common is it?", r"common|prevalen|incidence|frequen|\brare\b"
                        r"|affects? (?:about|approximately|an estimated)"
                        r"|\d+ (?:in|out of) [\d,]+|estimated",
                        ("How common is {t}?", "How many people have {t}?")),
}


@dataclass(frozen=True)
class Page:
    doc: str
    title: str
    sections: tuple[tuple[str, str], ...]  # (heading without " (2)", text)


def read_pages(corpus: Path) -> list[Page]:
    pages = []
    for path in sorted(corpus.rglob("*.md")):
        text = path.read_text(encoding="utf-8")
        title = re.search(r'^title: "(.*)"$', text, re.M)
        parts = re.split(r"^## (.+)$", text, flags=re.M)
        sections = tuple((re.sub(r" \(\d+\)$", "", h), body) for h, body in zip(parts[1::2], parts[2::2]))
        pages.append(Page(path.relative_to(corpus).as_posix(), title.group(1) if title else path.stem, sections))
    return pages


def phrase(topic: str) -> re.Pattern[str]:
    return re.compile(r"(?<![\w-])" + re.escape(topic.casefold()) + r"(?![\w-])")


def about(topic: str, title: str) -> bool:
    """A page titled `title` is about `topic` (both case-folded): equal, or one contains the other as a phrase."""
    a, b = topic.casefold(), title.casefold()
    return (a in b and bool(phrase(a).search(b))) or (b in a and bool(phrase(b).search(a)))


def candidates(pages: list[Page]) -> list[tuple[str, str]]:
    """Every (topic, aspect) pair that passes the three checks of the module docstring."""
    topics = sorted({p.title for p in pages if p.doc.split("/")[0] in TOPIC_COLLECTIONS
                     and not re.search(r"[(),]", p.title) and len(p.title) <= 60 and len(p.title.split()) <= 7})
    by_aspect = defaultdict(list)  # aspect → case-folded texts of its sections on every page
    for p in pages:
        for heading, body in p.sections:
            for name, aspect in ASPECTS.items():
                if heading == aspect.heading:
                    by_aspect[name].append(body.casefold())
    joined = {name: "\n".join(bodies) for name, bodies in by_aspect.items()}
    words = {name: re.compile(aspect.words, re.I) for name, aspect in ASPECTS.items()}
    titles = sorted({p.title for p in pages})
    pages_by_title = defaultdict(list)
    for p in pages:
        pages_by_title[p.title].append(p)
    kept = []
    for topic in topics:
        related = [p for t in titles if about(topic, t) for p in pages_by_title[t]]
        headings = {h for p in related for h, _ in p.sections}
        text = "\n".join(body for p in related for _, body in p.sections)
        named = phrase(topic)
        for name, aspect in ASPECTS.items():
            if aspect.heading in headings or words[name].search(text):
                continue
            if topic.casefold() in joined.get(name, "") and named.search(joined[name]):
                continue
            kept.append((topic, name))
    return kept


def questions(pairs: list[tuple[str, str]], per_aspect: int = PER_ASPECT, seed: int = SEED) -> list[dict[str, object]]:
    rng = random.Random(seed)
    out = []
    for name, aspect in ASPECTS.items():
        pool = [t for t, a in pairs if a == name]
        for i, topic in enumerate(rng.sample(pool, min(per_aspect, len(pool))), 1):
            template = aspect.templates[rng.randrange(len(aspect.templates))]
            out.append({"qid": f"near-{name}-{i}", "question": template.format(t=topic), "topic": topic,
                        "aspect": name, "answerable": False})
    return out


def main() -> None:
    pairs = candidates(read_pages(CORPUS))
    records = questions(pairs)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    counts = {name: sum(r["aspect"] == name for r in records) for name in ASPECTS}
    print(f"{len(pairs)} (topic, aspect) pairs not covered; wrote {len(records)} questions to "
          f"{OUT.relative_to(ROOT)}: {counts}")


if __name__ == "__main__":
    main()
