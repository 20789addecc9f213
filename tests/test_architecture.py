"""The layers of the package, read from its own source with ast: answering knows neither the index
nor a vector store, no module imports one that imports it back (at any depth of its code), and
only the store registry, the settings and the store backends name a store kind."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import get_args

PACKAGE = Path(__file__).resolve().parents[1] / "bot"


def imports() -> dict[str, set[str]]:
    """{module: the package modules it imports, at any depth of its code}, by file name."""
    graph: dict[str, set[str]] = {}
    for path in sorted(PACKAGE.glob("*.py")):
        found: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.level == 1:
                if node.module:
                    found.add(node.module.split(".")[0])
                else:
                    found.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("bot."):
                found.add(node.module.split(".")[1])  # type: ignore[union-attr]
        graph[path.stem] = {m for m in found if (PACKAGE / f"{m}.py").exists()}
    return graph


def reach(graph: dict[str, set[str]], start: str) -> set[str]:
    seen: set[str] = set()
    todo = [start]
    while todo:
        for m in graph[todo.pop()] - seen:
            seen.add(m)
            todo.append(m)
    return seen


def test_the_import_reader_sees_the_imports():
    graph = imports()
    assert {"index", "retrieve", "answer", "coverage"} <= graph["pipeline"]
    assert graph["text"] == set() and "text" in graph["answer"]


def test_answering_knows_neither_the_index_nor_a_store():
    below = reach(imports(), "answer")
    assert not below & {"index", "store", "milvus_store", "lexical", "passages", "embed", "onnx_embed"}, below


def test_the_web_page_is_in_the_package_and_gradio_only_there():
    uses = sorted(p.name for p in PACKAGE.glob("*.py")
                  if any(isinstance(n, (ast.Import, ast.ImportFrom)) and "gradio" in ast.unparse(n)
                         for n in ast.walk(ast.parse(p.read_text("utf-8")))))
    assert uses == ["chat.py"]
    top = [n for n in ast.walk(ast.parse((PACKAGE / "cli.py").read_text("utf-8"))) if isinstance(n, ast.Import)]
    assert not any(alias.name == "app" for n in top for alias in n.names)  # the CLI serves through bot.chat
    assert "chat" in imports()["cli"]


#: the package in layers, lowest first: a module imports only from its own layer or lower ones
#: (README "Architecture"); a new module must be given its layer here
LAYERS = {
    "foundations": {"errors", "schema", "contract", "text", "language", "safety", "config", "review",
                    "privacy", "colors", "links"},
    "documents, models and stores": {"ingest", "chunk", "passages", "lexical", "model_files", "embed", "onnx_embed",
                                     "store", "milvus_store", "stores", "safety_rules", "locale", "query", "dialogue",
                                     "feedback", "guard", "insights"},
    "the index": {"layout", "index", "build"},
    "answering": {"retrieve", "coverage", "answer", "sources", "share", "source_view"},
    "the bot": {"pipeline", "evaluate", "live"},
    "doors": {"service", "web", "chat", "cli", "__main__", "__init__", "admin", "preview"},
}


def test_every_module_imports_only_its_own_layer_or_lower_ones():
    graph = imports()
    level = {m: i for i, modules in enumerate(LAYERS.values()) for m in modules}
    assert set(graph) == set(level), f"modules without a layer: {set(graph) - set(level)}; gone: {set(level) - set(graph)}"
    upward = [(m, n) for m, below in graph.items() for n in below if level[n] > level[m]]
    assert not upward, f"imports that go up a layer: {upward}"


def cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle of `graph` as [a, b, …, a], or None: a depth-first walk that meets a module
    still on its own path."""
    done: set[str] = set()
    path: list[str] = []

    def visit(module: str) -> list[str] | None:
        if module in path:
            return [*path[path.index(module):], module]
        if module in done:
            return None
        path.append(module)
        for imported in sorted(graph[module]):
            if found := visit(imported):
                return found
        path.pop()
        done.add(module)
        return None

    for module in sorted(graph):
        if found := visit(module):
            return found
    return None


def test_the_cycle_finder_finds_a_cycle():
    assert cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()}) == ["a", "b", "c", "a"]
    assert cycle({"a": {"b", "c"}, "b": {"c"}, "c": set()}) is None


def test_no_module_imports_one_that_imports_it_back():
    """At any depth of the code: an import inside a function is still a dependency, only a later one."""
    found = cycle(imports())
    assert found is None, " → ".join(found or ())


def test_store_kinds_are_named_only_by_the_registry_the_settings_and_the_backends():
    """A store kind as a string ("faiss", "milvus") anywhere else is an `if kind == ...` waiting to
    happen: the index asks the backend (`stores.BACKENDS`) instead."""
    from bot.config import VectorStoreKind
    from bot.stores import BACKENDS

    kinds = set(get_args(VectorStoreKind))
    assert kinds == set(BACKENDS)
    allowed = {"stores", "config", *(type(backend).__module__.rsplit(".", 1)[-1] for backend in BACKENDS.values())}
    named = {
        f"{path.name}:{node.lineno}: {node.value!r}"
        for path in sorted(PACKAGE.glob("*.py")) if path.stem not in allowed
        for node in ast.walk(ast.parse(path.read_text("utf-8")))
        if isinstance(node, ast.Constant) and node.value in kinds
    }
    assert not named, sorted(named)
