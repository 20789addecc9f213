"""Settings: read in one place (argument > BOT_* variable > default), choices checked with a message
naming the allowed values, and no other module of the package touching the environment."""

from __future__ import annotations

import ast
import os
import re
from dataclasses import fields, replace
from pathlib import Path

import pytest

from bot import ConfigError, Settings
from bot.config import prepare_environment

ROOT = Path(__file__).resolve().parents[1]
SOURCES = sorted((ROOT / "bot").rglob("*.py")) + [ROOT / "app.py"]
CONFIG = ROOT / "bot" / "config.py"


def environment_uses(path: Path) -> list[str]:
    """Every place `path` reads or writes the process environment: os.environ, os.getenv, os.putenv,
    os.unsetenv, or those names imported from os."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Attribute) and node.attr in ("environ", "environb", "getenv", "putenv", "unsetenv"):
            found.append(f"{path.name}:{node.lineno} {ast.unparse(node)}")
        elif isinstance(node, ast.ImportFrom) and node.module == "os":
            found += [f"{path.name}:{node.lineno} from os import {a.name}" for a in node.names
                      if a.name in ("environ", "environb", "getenv", "putenv", "unsetenv")]
    return found


def test_only_config_touches_the_environment():
    assert CONFIG in SOURCES and environment_uses(CONFIG)  # the scan sees config.py's own reads
    outside = [use for path in SOURCES if path != CONFIG for use in environment_uses(path)]
    assert outside == []


def test_the_scan_finds_each_way_of_touching_the_environment(tmp_path: Path):
    sample = tmp_path / "sample.py"
    sample.write_text("import os\nfrom os import getenv\nos.environ.get('BOT_X')\nos.getenv('BOT_Y')\n"
                      "os.environ['HF_HUB_OFFLINE'] = '1'\n", encoding="utf-8")
    assert len(environment_uses(sample)) == 4


def strings(path: Path) -> list[str]:
    """The string constants of a module's code, its docstrings left out."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docs = {id(node.body[0].value) for node in ast.walk(tree)
            if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
            and node.body and isinstance(node.body[0], ast.Expr) and isinstance(node.body[0].value, ast.Constant)}
    return [node.value for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docs]


def test_the_offline_flags_are_named_in_one_function_only():
    flags = re.compile(r"HF_HUB_OFFLINE|TRANSFORMERS_OFFLINE|GRPC_VERBOSITY|GRADIO_ANALYTICS_ENABLED")
    assert sum(map(bool, map(flags.search, strings(CONFIG)))) == 4
    named = [path.name for path in SOURCES if path != CONFIG and any(map(flags.search, strings(path)))]
    assert named == []


def test_prepare_environment_sets_the_offline_flags(monkeypatch):
    for name in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "GRPC_VERBOSITY", "GRADIO_ANALYTICS_ENABLED"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("GRPC_VERBOSITY", "DEBUG")  # set by whoever runs the app: kept
    prepare_environment()
    assert {n: os.environ[n] for n in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "GRPC_VERBOSITY",
                                       "GRADIO_ANALYTICS_ENABLED")} == {
        "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "GRPC_VERBOSITY": "DEBUG", "GRADIO_ANALYTICS_ENABLED": "False"}


def test_argument_wins_over_variable_which_wins_over_default(monkeypatch):
    for f in fields(Settings):
        monkeypatch.delenv(f"BOT_{f.name.upper()}", raising=False)
    assert Settings.load() == Settings()
    monkeypatch.setenv("BOT_TOP_K", "5")
    monkeypatch.setenv("BOT_INDEX", "elsewhere")
    monkeypatch.setenv("BOT_TRUST_PROXY", "10.0.0.0/8")
    loaded = Settings.load(index="mine")
    assert (loaded.top_k, loaded.index, loaded.trust_proxy) == (5, Path("mine"), "10.0.0.0/8")
    monkeypatch.setenv("BOT_TOP_K", "")  # empty: the default
    assert Settings.load().top_k == Settings().top_k == 3


@pytest.mark.parametrize(("name", "value", "allowed"), [
    ("embedder", "onnx_int8", "'onnx', 'onnx-int8', 'torch'"),
    ("retrieval", "bm-25", "'hybrid', 'dense', 'bm25', 'rrf'"),
    ("vector_store", "chroma", "'faiss', 'milvus'"),
])
def test_a_choice_outside_its_values_is_refused_naming_them(monkeypatch, name, value, allowed):
    message = f"BOT_{name.upper()} must be one of {allowed}; got {value!r}"
    with pytest.raises(ConfigError, match=re.escape(message)):
        Settings.load(**{name: value})
    monkeypatch.setenv(f"BOT_{name.upper()}", value)
    with pytest.raises(ConfigError, match=re.escape(message)):
        Settings.load()
    monkeypatch.delenv(f"BOT_{name.upper()}")
    with pytest.raises(ConfigError, match=re.escape(message)):
        replace(Settings(), **{name: value})


def test_every_allowed_choice_loads():
    for embedder in ("onnx", "onnx-int8", "torch"):
        assert Settings.load(embedder=embedder).embedder == embedder
    for retrieval in ("hybrid", "dense", "bm25", "rrf"):
        assert Settings.load(retrieval=retrieval).retrieval == retrieval
    for store in ("faiss", "milvus"):
        assert Settings.load(vector_store=store).vector_store == store


def test_trusted_proxies_are_addresses_or_networks():
    assert Settings().trusted_proxies == ()
    assert [str(n) for n in Settings.load(trust_proxy="10.0.0.0/8, 192.168.1.7 fd00::/8").trusted_proxies] == [
        "10.0.0.0/8", "192.168.1.7/32", "fd00::/8"]
    assert [str(n) for n in Settings.load(trust_proxy="*").trusted_proxies] == ["0.0.0.0/0", "::/0"]
    with pytest.raises(ConfigError, match=r"BOT_TRUST_PROXY holds 'true'.*no longer an on/off switch.*10\.0\.0\.0/8"):
        Settings.load(trust_proxy="true")
    with pytest.raises(ConfigError, match=r"BOT_TRUST_PROXY holds 'proxy\.example\.org', which is not an IP address"):
        Settings.load(trust_proxy="10.0.0.1 proxy.example.org")


def test_a_value_of_the_wrong_type_says_which_variable_to_fix(monkeypatch):
    monkeypatch.setenv("BOT_TOP_K", "three")
    with pytest.raises(ConfigError, match="fix BOT_TOP_K"):
        Settings.load()
    monkeypatch.delenv("BOT_TOP_K")
    with pytest.raises(ConfigError, match=r"unknown setting\(s\) \['top_kk'\]"):
        Settings.load(top_kk=3)


def test_every_setting_is_in_the_readme_configuration_table():
    rows = [line for line in (ROOT / "README.md").read_text(encoding="utf-8").splitlines() if line.startswith("| `BOT_")]
    documented = {name for row in rows for name in re.findall(r"`BOT_([A-Z0-9_]+)`", row.split(" | ")[0])}
    assert documented == {f.name.upper() for f in fields(Settings)}
