"""The import architecture, checked over the source: no cycles, and lower layers never import
higher ones. Every import counts, function-level ones too (only ``if TYPE_CHECKING:`` blocks
are left out), so a cycle cannot hide inside a function."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "tokenvec"

# Arrays, files and kernels: they import nothing above themselves.
FOUNDATION = {
    "tokenvec._bag_numba",
    "tokenvec._checks",
    "tokenvec._files",
    "tokenvec._half",
    "tokenvec._half_numba",
    "tokenvec._intrinsics",
    "tokenvec._jit",
    "tokenvec._memory",
    "tokenvec._optional",
    "tokenvec._quant_numba",
    "tokenvec._scan",
    "tokenvec._scan_numba",
    "tokenvec._subword",
    "tokenvec._subword_numba",
    "tokenvec._threads",
    "tokenvec._topk",
    "tokenvec.optim",
    "tokenvec.word2vec._constants",
    "tokenvec.word2vec._kernel",
    "tokenvec.word2vec._numba",
    "tokenvec.word2vec._words_numba",
}
KERNELS = {
    "tokenvec._bag_numba",
    "tokenvec._quant_numba",
    "tokenvec._half",
    "tokenvec._half_numba",
    "tokenvec._intrinsics",
    "tokenvec._scan",
    "tokenvec._scan_numba",
    "tokenvec._subword",
    "tokenvec._subword_numba",
    "tokenvec._topk",
    "tokenvec.word2vec._kernel",
    "tokenvec.word2vec._numba",
    "tokenvec.word2vec._words_numba",
}
# The user-facing shells: only the command line may import them.
SHELLS = {"tokenvec.cli", "tokenvec.web", "tokenvec.demo"}


def _modules() -> dict[str, Path]:
    mods = {}
    for p in SRC.rglob("*.py"):
        name = ".".join(p.relative_to(SRC.parent).with_suffix("").parts)
        mods[name.removesuffix(".__init__")] = p
    return mods


MODULES = _modules()


def _imports(name: str, path: Path) -> set[str]:
    """tokenvec modules that ``name`` imports (``from pkg import sub`` counts as ``pkg.sub``)."""
    found: set[str] = set()

    class Visitor(ast.NodeVisitor):
        def visit_If(self, node: ast.If) -> None:
            if isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING":
                for child in node.orelse:
                    self.visit(child)
                return
            self.generic_visit(node)

        def visit_Import(self, node: ast.Import) -> None:
            found.update(a.name for a in node.names if a.name.startswith("tokenvec"))

        def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
            if not node.module or not node.module.startswith("tokenvec"):
                return
            subs = [f"{node.module}.{a.name}" for a in node.names]
            if all(s in MODULES for s in subs):
                found.update(subs)  # submodules only
            else:
                found.add(node.module)
                found.update(s for s in subs if s in MODULES)

    Visitor().visit(ast.parse(path.read_text("utf-8")))
    return {m for m in found if m in MODULES and m != name}


GRAPH = {name: _imports(name, path) for name, path in MODULES.items()}


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in graph:
        if v not in index:
            visit(v)
    return out


def test_the_graph_is_read():
    assert "tokenvec.formats" in GRAPH["tokenvec.vectors"]
    assert GRAPH["tokenvec.word2vec"] >= {"tokenvec.word2vec.trainer"}


def test_no_import_cycles():
    assert _cycles(GRAPH) == []


def test_cycle_finder_finds_a_cycle():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


@pytest.mark.parametrize("name", sorted(FOUNDATION))
def test_foundation_imports_only_foundation(name):
    assert GRAPH[name] <= FOUNDATION, GRAPH[name] - FOUNDATION


@pytest.mark.parametrize("name", sorted(KERNELS))
def test_kernels_import_no_other_layer(name):
    # A kernel's wrapper may import its compiled half and the numbers both share, nothing else.
    assert GRAPH[name] <= {
        "tokenvec._threads",
        "tokenvec._jit",
        "tokenvec._memory",
        "tokenvec.word2vec._constants",
    } | (KERNELS - {name})


def test_only_the_command_line_imports_the_shells():
    for name, deps in GRAPH.items():
        if name != "tokenvec.__main__" and not name.startswith("tokenvec.cli"):
            shells = {d for d in deps if d in SHELLS or d.startswith("tokenvec.cli")}
            assert not shells, (name, shells)


def test_readers_build_no_vectors():
    # Readers return plain parts; only tokenvec.vectors builds Vectors.
    for name in ("tokenvec.formats", "tokenvec.hub", "tokenvec.ann"):
        assert "tokenvec.vectors" not in GRAPH[name], name


def test_no_function_outside_the_kernels_is_over_100_lines():
    long = []
    for name, path in MODULES.items():
        if name in KERNELS:
            continue
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                lines = (node.end_lineno or node.lineno) - node.lineno + 1
                if lines > 100:
                    long.append(f"{name}.{node.name}: {lines} lines")
    assert long == []
