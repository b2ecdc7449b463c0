"""The shape of the code: one-way imports, no circles, small files, no UI in the engine.

Every .py file of ``gan_core`` and ``studio`` is parsed with ``ast`` (nothing is imported), and
the imports between project modules become a graph: module-level imports *and* imports inside
functions, relative and absolute. Imports under ``if TYPE_CHECKING:`` are for annotations only
and are left out. Importing ``a.b.c`` also runs the ``__init__`` of ``a.b``, so that edge is in
the graph too (unless the importer sits inside that package already).
"""
from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("gan_core", "studio")
MAX_LINES = 400

# gan_core's stages in the order the code builds up, and what each may import besides the
# foundations (gan_core's top-level modules: errors, config, checkpoint, device). Only earlier
# stages may be listed (checked below), so imports run one way. The trainer comes late because it
# uses the others: it draws its progress grids from seeds and saves its generator (design), writes
# the progress GIF (export), measures the result (metrics) and may start from a Hub model (hub).
FOUNDATION = "gan_core"
ORDER = ("data", "nets", "design", "metrics", "export", "hub", "training", "cli")
ALLOWED = {f"gan_core.{stage}": {f"gan_core.{s}" for s in allowed} for stage, allowed in {
    "data": (),
    "nets": (),
    "design": ("data", "nets"),
    "metrics": ("data",),
    "export": ("data", "design", "metrics"),  # the map of designs is laid out by metrics.atlas
    "hub": ("data", "design", "export"),
    "training": ("data", "nets", "design", "export", "metrics", "hub"),
    "cli": ("data", "nets", "design", "export", "metrics", "hub", "training"),
}.items()}


def _module_files() -> dict[str, Path]:
    files = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            files[".".join(parts)] = path
    return files


def _is_type_checking(test: ast.expr) -> bool:
    return ((isinstance(test, ast.Name) and test.id == "TYPE_CHECKING")
            or (isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"))


def _imports(tree: ast.AST):
    """Every Import/ImportFrom node, at any depth, except those under ``if TYPE_CHECKING:``."""
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            yield node
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _is_type_checking(child.test):
                stack.extend(child.orelse)
            else:
                stack.append(child)


def _targets(module: str, is_package: bool, node, known: set[str]) -> set[str]:
    """The project modules one import statement runs (the module itself and the packages above it)."""
    names = []
    if isinstance(node, ast.Import):
        names = [alias.name for alias in node.names]
    else:
        if node.level:
            base = module.split(".") if is_package else module.split(".")[:-1]
            base = base[: len(base) - (node.level - 1)]
            base = ".".join(base + ([node.module] if node.module else []))
        else:
            base = node.module or ""
        for alias in node.names:
            sub = f"{base}.{alias.name}"
            names.append(sub if sub in known else base)
    found = set()
    for name in names:
        parts = name.split(".")
        for i in range(len(parts), 0, -1):  # the deepest project module named, and its packages
            candidate = ".".join(parts[:i])
            if candidate in known and not (module == candidate or module.startswith(candidate + ".")):
                found.add(candidate)
    return found


def import_graph() -> dict[str, set[str]]:
    files = _module_files()
    known = set(files)
    graph = {}
    for module, path in files.items():
        tree = ast.parse(path.read_text(), filename=str(path))
        edges = set()
        for node in _imports(tree):
            edges |= _targets(module, path.name == "__init__.py", node, known)
        graph[module] = edges
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import circle as [a, b, ..., a], or None."""
    state = {}  # 1: on the current path, 2: done

    def visit(node, path):
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return path[path.index(nxt):] + [nxt]
            if nxt not in state:
                cycle = visit(nxt, path)
                if cycle:
                    return cycle
        path.pop()
        state[node] = 2
        return None

    for start in sorted(graph):
        if start not in state:
            cycle = visit(start, [])
            if cycle:
                return cycle
    return None


def all_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every circle found by removing one edge of each found circle in turn (for a useful report)."""
    graph = {k: set(v) for k, v in graph.items()}
    cycles = []
    while (cycle := find_cycle(graph)) is not None:
        cycles.append(cycle)
        graph[cycle[-2]].discard(cycle[-1])
    return cycles


def stage(module: str, packages: set[str]) -> str:
    """``gan_core.<stage>`` for a module inside a subpackage of gan_core; ``gan_core`` for a foundation."""
    parts = module.split(".")
    if parts[0] != "gan_core":
        return parts[0]
    if len(parts) >= 2 and ".".join(parts[:2]) in packages:
        return ".".join(parts[:2])
    return FOUNDATION


def test_no_import_circles():
    cycles = all_cycles(import_graph())
    assert not cycles, "import circles:\n" + "\n".join(" -> ".join(c) for c in cycles)


def test_no_module_over_400_lines():
    big = {m: n for m, p in _module_files().items() if (n := len(p.read_text().splitlines())) > MAX_LINES}
    assert not big, f"modules over {MAX_LINES} lines: {big}"


def test_gan_core_never_imports_gradio():
    bad = []
    for module, path in _module_files().items():
        if module.startswith("gan_core"):
            for node in _imports(ast.parse(path.read_text())):
                names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                         else [node.module or ""] if not node.level else [])
                bad += [f"{module}: {n}" for n in names if n.split(".")[0] == "gradio"]
    assert not bad, bad


def test_stages_import_only_earlier_stages():
    files = _module_files()
    packages = {m for m, p in files.items() if p.name == "__init__.py"}
    stages = {stage(m, packages) for m in files if m.startswith("gan_core")} - {FOUNDATION}
    assert stages == set(ALLOWED), f"gan_core's subpackages {sorted(stages)} != the table {sorted(ALLOWED)}"
    for here, allowed in ALLOWED.items():  # the table itself runs one way
        earlier = {f"gan_core.{s}" for s in ORDER[:ORDER.index(here.split(".")[1])]}
        assert allowed <= earlier, f"{here} may only import stages before it: {sorted(allowed - earlier)}"
    bad = []
    for module, targets in import_graph().items():
        if not module.startswith("gan_core") or module in ("gan_core", "gan_core.__main__"):
            continue  # the package's lazy table and ``python -m`` may name any stage
        here = stage(module, packages)
        allowed = {here, FOUNDATION} | ALLOWED.get(here, set())
        for target in targets:
            there = stage(target, packages)
            if there.startswith("gan_core") and target != "gan_core" and there not in allowed:
                bad.append(f"{module} -> {target} ({here} may import {sorted(allowed)})")
    assert not bad, "imports against the stage order:\n" + "\n".join(sorted(bad))


def test_layout_parser_sees_function_level_and_relative_imports():
    """The graph builder itself: a nested relative import counts, a TYPE_CHECKING one does not."""
    tree = ast.parse("from typing import TYPE_CHECKING\n"
                     "if TYPE_CHECKING:\n    from .b import X\n"
                     "def f():\n    from ..c import d\n    import gan_core.e\n")
    known = {"gan_core", "gan_core.pkg", "gan_core.pkg.a", "gan_core.pkg.b", "gan_core.c",
             "gan_core.c.d", "gan_core.e"}
    targets = set()
    for node in _imports(tree):
        targets |= _targets("gan_core.pkg.a", False, node, known)
    assert targets == {"gan_core.c.d", "gan_core.c", "gan_core.e"}
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_the_public_names_stay_where_users_import_them():
    """The regroup moved modules, not the API: ``from gan_core import X`` keeps working for each
    name the package exported before (each resolves to a real object in its new module)."""
    import gan_core
    before = {"UserError", "ModelConfig", "TrainConfig", "PRESETS", "preset", "CleanupConfig", "clean_image",
              "Dataset", "load_dataset", "SkippedFile", "Generator", "Critic", "train", "Trainer", "Progress",
              "TrainResult", "z_from_seed", "slerp", "morph_path", "truncate", "load_generator",
              "save_generator", "DesignModel", "save_gif", "save_mp4", "save_grid", "RunFolder"}
    assert set(gan_core.__all__) == before
    for name in before:
        obj = getattr(gan_core, name)  # a subpackage of the same name must not shadow it (gan_core.train did)
        assert getattr(obj, "__name__", name) == name and not isinstance(obj, type(gan_core)), (name, obj)
