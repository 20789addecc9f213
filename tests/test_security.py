"""Security that needs no web app: pinned model weights, no network at run time, locked dependencies."""

from __future__ import annotations

import importlib.metadata
import json
import os
import shutil
import subprocess
import sys
import textwrap
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from bot import Bot, ModelError
from bot.embed import SentenceTransformerEmbedder
from bot.model_files import BUNDLED_SHA256

ROOT = Path(__file__).resolve().parents[1]
QUESTION = "What are the withdrawal symptoms of Klonopin?"


# --- the model's weights are checked against a pinned SHA-256 before they are used ------------

def test_bundled_weights_match_the_pin():
    assert SentenceTransformerEmbedder().weights_sha256 == BUNDLED_SHA256


def test_a_flipped_byte_in_the_weights_is_refused(model_copy, seed_index_fake):
    assert SentenceTransformerEmbedder(str(model_copy), pin=BUNDLED_SHA256).weights_sha256 == BUNDLED_SHA256
    weights = model_copy / "model.safetensors"
    data = bytearray(weights.read_bytes())
    data[len(data) // 2] ^= 0x01  # one bit, in the middle of a tensor: it would still load and run
    weights.write_bytes(bytes(data))
    damaged = SentenceTransformerEmbedder(str(model_copy), pin=BUNDLED_SHA256)
    with pytest.raises(ModelError, match="damaged or was replaced.*pip install --force-reinstall"):
        damaged.weights_sha256  # noqa: B018
    with pytest.raises(ModelError):
        damaged.embed(["any text"])  # refused before the weights are read
    assert "_model" not in vars(damaged)
    with pytest.raises(ModelError):
        Bot.load(seed_index_fake, embedder=damaged)
    unpinned = SentenceTransformerEmbedder(str(model_copy))  # another model by path: its own hash, not pinned
    assert unpinned.weights_sha256 != BUNDLED_SHA256


def test_missing_weights_say_how_to_reinstall(model_copy, tmp_path):
    empty = shutil.copytree(model_copy, tmp_path / "m", symlinks=True, ignore=shutil.ignore_patterns("model.safetensors"))
    with pytest.raises(ModelError, match="missing: reinstall"):
        SentenceTransformerEmbedder(str(empty), pin=BUNDLED_SHA256).weights_sha256  # noqa: B018


@pytest.fixture
def seed_index_fake(tmp_path: Path) -> Path:
    from conftest import SEED_CORPUS, FakeEmbedder

    from bot import Settings
    from bot.build import build

    build(Settings.load(corpus=SEED_CORPUS, index=tmp_path / "index"), FakeEmbedder())
    return tmp_path / "index"


# --- no outbound network at run time -----------------------------------------------------------

# Loaded into every Python process of the test through PYTHONPATH: any connection or name lookup
# that is not loopback is refused and written down.
NO_NETWORK = textwrap.dedent('''
    import os, socket

    _LOG = os.environ["NO_NETWORK_LOG"]
    _LOCAL = ("127.", "::1", "localhost", "0.0.0.0")

    def _refuse(what):
        with open(_LOG, "a") as log:
            log.write(what + "\\n")
        raise OSError(101, "network blocked by the test: " + what)

    def _check(sock, address, what):
        if sock.family in (socket.AF_INET, socket.AF_INET6) and not str(address[0]).startswith(_LOCAL):
            _refuse(f"{what} {address}")

    for _name in ("connect", "connect_ex", "sendto"):
        _real = getattr(socket.socket, _name)
        def _wrapped(self, *args, _real=_real, _name=_name):
            _check(self, args[-1] if _name == "sendto" else args[0], _name)
            return _real(self, *args)
        setattr(socket.socket, _name, _wrapped)

    _getaddrinfo = socket.getaddrinfo
    def _lookup(host, *args, **kwargs):
        if host is not None and not str(host).startswith(_LOCAL):
            _refuse(f"lookup {host}")
        return _getaddrinfo(host, *args, **kwargs)
    socket.getaddrinfo = _lookup
''')


def offline_env(tmp_path: Path) -> dict[str, str]:
    site = tmp_path / "site"
    site.mkdir(exist_ok=True)
    (site / "sitecustomize.py").write_text(NO_NETWORK)
    env = {k: v for k, v in os.environ.items() if k not in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE")}
    env.update(PYTHONPATH=str(site), NO_NETWORK_LOG=str(tmp_path / "attempts.log"), HF_HOME=str(tmp_path / "hf-home"))
    return env


def test_the_network_block_works(tmp_path):
    """The control: the block refuses a real outbound attempt and lets loopback through."""
    env = offline_env(tmp_path)
    code = ("import socket, urllib.request\n"
            "server = socket.create_server(('127.0.0.1', 0)); port = server.getsockname()[1]\n"
            "socket.create_connection(('127.0.0.1', port)).close()\n"
            "try:\n    urllib.request.urlopen('https://example.org/', timeout=5)\nexcept OSError as e:\n    print('refused', e)\n"
            "s = socket.socket(); \ntry:\n    s.connect(('93.184.215.14', 443))\nexcept OSError as e:\n    print('refused', e)\n")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
    assert out.stdout.count("refused") == 2, out.stdout + out.stderr
    assert (tmp_path / "attempts.log").read_text().splitlines() == ["lookup example.org", "connect ('93.184.215.14', 443)"]


@pytest.mark.model
def test_index_and_answer_with_no_network(tmp_path):
    """Index a corpus and answer a seed question with every non-loopback connection refused, and with
    HF_HUB_OFFLINE not set by the caller: the bot sets it itself and never needs the network."""
    env = offline_env(tmp_path)
    corpus = tmp_path / "corpus"
    shutil.copytree(ROOT / "corpus", corpus)
    index = tmp_path / "index"
    built = subprocess.run([sys.executable, "-m", "bot", "index", "--corpus", str(corpus), "--index", str(index)],
                           cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert built.returncode == 0, built.stderr[-2000:]
    asked = subprocess.run([sys.executable, "-m", "bot", "ask", QUESTION, "--json", "--index", str(index)],
                           cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert asked.returncode == 0, asked.stderr[-2000:]
    answer = json.loads(asked.stdout)
    assert answer["status"] == "answered" and answer["passages"][0]["section"] == "Klonopin Withdrawal Symptoms"
    log = tmp_path / "attempts.log"
    assert not log.exists(), f"outbound network attempted: {log.read_text()}"


@pytest.mark.model
@pytest.mark.skipif(shutil.which("unshare") is None, reason="needs unshare(1)")
def test_answer_in_a_network_namespace_with_only_loopback(seed_index):
    """Stronger than patching Python: a process in its own network namespace has no route out at all."""
    probe = subprocess.run(["unshare", "--net", "true"], capture_output=True)
    if probe.returncode != 0:
        pytest.skip("creating a network namespace is not permitted here")
    env = {k: v for k, v in os.environ.items() if k not in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE")}
    out = subprocess.run(["unshare", "--net", sys.executable, "-m", "bot", "ask", QUESTION, "--json", "--index", str(seed_index)],
                         cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr[-2000:]
    assert json.loads(out.stdout)["status"] == "answered"


def test_no_module_opens_a_socket_or_names_a_host():
    """A cheap guard on the source: the bot's package has no networking code (the web app is bot/chat.py and bot/web.py)."""
    for path in (ROOT / "bot").glob("*.py"):
        if path.name == "web.py":
            continue
        text = path.read_text(encoding="utf-8")
        for needle in ("import socket", "import requests", "import httpx", "urllib.request", "urlopen(", "http.client"):
            assert needle not in text, f"{path.name} uses {needle}"


# --- dependency versions are locked -------------------------------------------------------------

def locked() -> dict[str, str]:
    pins = {}
    for line in (ROOT / "requirements.lock").read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, _, version = line.partition("==")
            assert version and not any(c in version for c in "<>=~!*,; "), f"not an exact pin: {line}"
            pins[canonicalize_name(name)] = version
    return pins


def closure(requirements: list[str]) -> set[str]:
    """Names of the installed distributions these requirements pull in (markers and extras evaluated)."""
    seen: set[str] = set()
    stack = [(Requirement(r), ("",)) for r in requirements]
    while stack:
        req, extras = stack.pop()
        if req.marker and not any(req.marker.evaluate({"extra": e}) for e in extras):
            continue
        name = canonicalize_name(req.name)
        key = name + str(sorted(req.extras))
        if key in seen:
            continue
        seen.add(key)
        seen.add(name)
        for sub in importlib.metadata.distribution(req.name).requires or []:
            stack.append((Requirement(sub), tuple(req.extras) or ("",)))
    return {s for s in seen if "[" not in s}


def test_every_dependency_is_pinned_and_installed_at_its_pin():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    requirements = project["dependencies"] + project["optional-dependencies"]["test"]
    pins = locked()
    assert pins["torch"] == "2.13.0"  # the CPU build: an unpinned torch would pull a multi-GB CUDA build
    for name in closure(requirements):
        assert name in pins, f"{name} is needed but not in requirements.lock"
        installed = importlib.metadata.version(name).split("+")[0]  # torch 2.13.0+cpu is torch 2.13.0
        assert installed == pins[name], f"{name} {installed} is installed, requirements.lock says {pins[name]}"
    for requirement in map(Requirement, requirements):
        assert requirement.specifier.contains(pins[canonicalize_name(requirement.name)], prereleases=True), requirement
