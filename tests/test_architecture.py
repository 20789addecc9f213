"""The layers of the package, read from its own imports (ast, nothing imported): answering knows
neither the index nor a vector store, and no module imports one that imports it back."""

from __future__ import annotations

import ast
from pathlib import Path

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
    "foundations": {"errors", "schema", "contract", "text", "language", "safety", "config"},
    "documents, models and stores": {"ingest", "chunk", "passages", "lexical", "embed", "onnx_embed", "store",
                                     "milvus_store", "safety_rules", "locale", "query", "dialogue", "feedback", "guard"},
    "the index": {"index"},
    "answering": {"retrieve", "coverage", "answer", "sources"},
    "the bot": {"pipeline", "evaluate", "live"},
    "doors": {"service", "web", "chat", "cli", "__main__", "__init__"},
}


def test_every_module_imports_only_its_own_layer_or_lower_ones():
    graph = imports()
    level = {m: i for i, modules in enumerate(LAYERS.values()) for m in modules}
    assert set(graph) == set(level), f"modules without a layer: {set(graph) - set(level)}; gone: {set(level) - set(graph)}"
    upward = [(m, n) for m, below in graph.items() for n in below if level[n] > level[m]]
    assert not upward, f"imports that go up a layer: {upward}"
