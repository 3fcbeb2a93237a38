"""The import architecture, checked over the source: no cycles, and lower layers never import
higher ones. Every import counts, function-level ones too (only ``if TYPE_CHECKING:`` blocks
are left out), so a cycle cannot hide inside a function."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "tokenvec"

# The package's folders, lowest first: a module imports only modules of its own group or of a
# lower level. The root's private modules and _native are the foundation (arrays, checks,
# compiled runtime); io reads and writes files; layers and tokenizers sit on io; vectors are
# built from io's parts; training and torch sit on vectors; the shells (app) on everything.
LEVELS = {
    "_checks": 0,
    "_optional": 0,
    "_progress": 0,
    "_native": 0,
    "io": 1,
    "tokenizers": 2,
    "layers": 2,
    "vectors": 3,
    "windows": 3,
    "word2vec": 4,
    "nn": 5,
    "distillation": 5,
    "builtin": 6,
    "__init__": 7,
    "app": 8,
    "__main__": 9,
}
FOLDERS = {"_native", "io", "layers", "vectors", "word2vec", "nn", "app"}
FOUNDATION_GROUPS = {g for g, level in LEVELS.items() if level == 0}
# Compiled kernels and their thin wrappers.
KERNELS = {
    "tokenvec._native.bag_numba",
    "tokenvec._native.fnv",
    "tokenvec._native.fnv_numba",
    "tokenvec._native.half",
    "tokenvec._native.half_numba",
    "tokenvec._native.intrinsics",
    "tokenvec._native.quant_numba",
    "tokenvec._native.topk",
    "tokenvec.io.fasttext_numba",
    "tokenvec.io.fasttext_rows",
    "tokenvec.io.scan",
    "tokenvec.io.scan_numba",
    "tokenvec.word2vec._batched",
    "tokenvec.word2vec._batched_numba",
    "tokenvec.word2vec._kernel",
    "tokenvec.word2vec._numba",
    "tokenvec.word2vec._words_numba",
}
# The shells inside app that only the command line opens.
SHELLS = {"tokenvec.app.web", "tokenvec.app.demo", "tokenvec.app.viz"}


def group(name: str) -> str:
    """The folder (or root module) a module belongs to: tokenvec.io.formats -> io."""
    parts = name.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


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
    assert "tokenvec.io.formats" in GRAPH["tokenvec.vectors.base"]
    assert GRAPH["tokenvec.word2vec"] >= {"tokenvec.word2vec.trainer"}


def test_every_module_lives_in_a_known_folder():
    # A new concept gets a folder (or joins one) and a level here, not a file at the root.
    assert {group(n) for n in MODULES} <= set(LEVELS), {group(n) for n in MODULES} - set(LEVELS)
    folders = {p.name for p in SRC.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    assert folders == FOLDERS


@pytest.mark.parametrize("name", sorted(MODULES))
def test_imports_go_down_the_levels(name):
    up = {
        d
        for d in GRAPH[name]
        if group(d) != group(name) and LEVELS[group(d)] >= LEVELS[group(name)]
    }
    assert not up, f"{name} (level {LEVELS[group(name)]}) imports {sorted(up)}"


def test_no_import_cycles():
    assert _cycles(GRAPH) == []


def test_cycle_finder_finds_a_cycle():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


@pytest.mark.parametrize("name", sorted(KERNELS))
def test_kernels_import_only_the_runtime(name):
    # A kernel's wrapper may import its compiled half, the shared runtime and the numbers both
    # share, nothing else.
    allowed = {n for n in MODULES if group(n) in FOUNDATION_GROUPS}
    assert GRAPH[name] <= allowed | {"tokenvec.word2vec._constants"} | KERNELS


def test_only_the_command_line_imports_the_shells():
    def shell(module: str) -> str | None:
        return next((s for s in SHELLS if module == s or module.startswith(s + ".")), None)

    for name, deps in GRAPH.items():
        if name.startswith(("tokenvec.app.cli", "tokenvec.__main__")):
            continue
        wrong = {d for d in deps if d.startswith("tokenvec.app.cli")}
        wrong |= {d for d in deps if shell(d) and shell(d) != shell(name)}
        assert not wrong, (name, wrong)


def test_one_fnv_one_topk_one_pca():
    # Written once, in _native, and imported everywhere else.
    defs = {"fnv1a": [], "topk_rows": [], "principal_axes": []}
    for name, path in MODULES.items():
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if isinstance(node, ast.FunctionDef) and node.name in defs:
                defs[node.name].append(name)
    assert sorted(defs["fnv1a"]) == ["tokenvec._native.fnv", "tokenvec._native.fnv_numba"]
    assert set(defs["topk_rows"]) == {"tokenvec._native.topk"}
    assert defs["principal_axes"] == ["tokenvec._native.pca"]
    for name, path in MODULES.items():
        text = path.read_text("utf-8")
        if group(name) != "_native":
            assert "np.linalg.svd(" not in text or name == "tokenvec.vectors.align", name
            assert "argpartition" not in text, name
            assert "16777619" not in text, name


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


def test_the_training_kernels_read_in_one_sitting():
    # word2vec's kernels (compiled and reference) take their arrays as four or five named
    # records, not a long row of positional ones (the compiled ones then the rows' width, an
    # int or a compile-time constant); no function of them is over 120 lines or
    # nests its blocks more than four deep, so one window can be followed from the corpus
    # to the two weight updates.
    def depth(node: ast.AST, d: int = 0) -> int:
        nested = (ast.For, ast.While, ast.If, ast.With, ast.Try)
        return max([d] + [depth(c, d + isinstance(c, nested)) for c in ast.iter_child_nodes(node)])

    entries = {("_numba", "train_chunk"), ("_batched_numba", "train_chunk_batched"),
               ("_kernel", "train_chunk_reference"), ("_batched", "train_chunk_batched_reference")}  # fmt: skip
    found = set()
    for name in ("_kernel", "_numba", "_batched", "_batched_numba"):
        tree = ast.parse(MODULES[f"tokenvec.word2vec.{name}"].read_text("utf-8"))
        for node in ast.walk(tree):
            if not isinstance(node, ast.FunctionDef):
                continue
            assert node.end_lineno - node.lineno < 120, (name, node.name)
            assert depth(node) <= 4, (name, node.name)
            if (name, node.name) in entries:
                found.add((name, node.name))
                assert [a.arg for a in node.args.args][:4] == ["w", "t", "m", "chunk"], node.name
                rest = [a.arg for a in node.args.args][4:]
                assert rest in ([], ["x"], ["x", "dim"]), node.name
    assert found == entries
