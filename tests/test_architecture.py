"""The package's shape: stages in pipeline order, imports pointing one way, no cycles, no private names.

Reads ``shgeo/`` with ``ast`` (imports under ``if TYPE_CHECKING:`` are type
hints, not dependencies).  The stage order is the data flow of the README's
"How it is built": inputs → library → overlay → rules → outputs; a module may
import from its own stage and from stages before it, never after.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "shgeo"

#: module (or package) prefix → rank in the pipeline; a module may import only ranks ≤ its own
RANKS = {
    "shgeo._version": 0,
    "shgeo.errors": 0,
    "shgeo.crs": 0,
    "shgeo.inputs": 1,
    "shgeo.library": 2,
    "shgeo.overlay": 3,
    "shgeo.rules": 4,
    "shgeo.records": 5,
    "shgeo.provenance": 5,
    "shgeo.avoidance": 5,
    "shgeo.outputs": 6,
    "shgeo.results": 7,
    "shgeo.cluster": 8,
    "shgeo.screening": 8,
    "shgeo.cli": 9,
    "shgeo.__main__": 10,
    "shgeo": 10,  # the package's own __init__: the flat public API
}

#: what the rules may import: they are pure functions over facts, never geometry
RULES_MAY_IMPORT = {"shgeo.errors", "shgeo.rules"}
GEOMETRY_LIBRARIES = {"shapely", "geopandas", "pyproj", "pyogrio", "fiona", "rasterio", "numpy", "pandas"}


def _modules() -> dict[str, Path]:
    mods = {}
    for path in PACKAGE.rglob("*.py"):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        mods[".".join(parts)] = path
    return mods


MODULES = _modules()


def _type_checking_nodes(tree: ast.AST) -> set[int]:
    skip: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skip.update(id(n) for n in ast.walk(node))
    return skip


def _imports(name: str) -> list[tuple[str, str, int]]:
    """(imported module, imported name or '', line) for every runtime import of module *name*."""
    path = MODULES[name]
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skip = _type_checking_nodes(tree)
    is_pkg = path.name == "__init__.py"
    out = []
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = name.split(".") if is_pkg else name.split(".")[:-1]
                base = base[: len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            for alias in node.names:
                sub = f"{target}.{alias.name}"
                if sub in MODULES:
                    out.append((sub, "", node.lineno))
                else:
                    out.append((target, alias.name, node.lineno))
        elif isinstance(node, ast.Import):
            out.extend((alias.name, "", node.lineno) for alias in node.names)
    return out


def _rank(module: str) -> int:
    best = max((p for p in RANKS if module == p or module.startswith(p + ".")), key=len)
    return RANKS[best]


def _stage(module: str) -> str:
    parts = module.split(".")
    return ".".join(parts[:2])


def test_every_module_has_a_stage():
    for name in MODULES:
        assert any(name == p or name.startswith(p + ".") for p in RANKS), f"{name}: no stage in RANKS"


def test_stage_packages_exist():
    stages = {p.name for p in PACKAGE.iterdir() if (p / "__init__.py").is_file()}
    assert {"inputs", "library", "overlay", "rules", "outputs", "avoidance", "cli"} <= stages


@pytest.mark.parametrize("name", sorted(MODULES))
def test_imports_point_down_the_pipeline(name):
    """A module imports from its own stage or from earlier stages only (never outputs → pipeline)."""
    here = _rank(name)
    for target, _, line in _imports(name):
        if not target.startswith("shgeo") or target not in MODULES and _stage(target) not in MODULES:
            continue
        if name == "shgeo" or _stage(target) == _stage(name):
            continue  # the public API re-exports; a stage's modules use each other
        assert _rank(target) <= here, (
            f"{MODULES[name].relative_to(PACKAGE.parent)}:{line}: {name} (stage rank {here}) imports "
            f"{target} (rank {_rank(target)}), a later stage")


@pytest.mark.parametrize("name", sorted(MODULES))
def test_no_private_name_crosses_a_module(name):
    for target, imported, line in _imports(name):
        if target.startswith("shgeo") and imported.startswith("_") and not imported.startswith("__"):
            raise AssertionError(f"{MODULES[name].relative_to(PACKAGE.parent)}:{line}: imports the private "
                                 f"name {imported} from {target}; make it public in its home module")


def test_no_import_cycles():
    graph: dict[str, set[str]] = {name: set() for name in MODULES}
    for name in MODULES:
        for target, _, _ in _imports(name):
            if target in MODULES and target != name:
                # a package's __init__ re-exporting its own modules is not a cycle of the design
                if target.startswith(name + ".") and MODULES[name].name == "__init__.py":
                    continue
                if name.startswith(target + ".") and MODULES[target].name == "__init__.py":
                    continue
                graph[name].add(target)
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(v: str) -> None:
        state[v] = 1
        stack.append(v)
        for w in graph[v]:
            if state.get(w) == 1:
                cycle = stack[stack.index(w):] + [w]
                raise AssertionError("import cycle: " + " → ".join(cycle))
            if w not in state:
                visit(w)
        stack.pop()
        state[v] = 2

    for v in sorted(graph):
        if v not in state:
            visit(v)


@pytest.mark.parametrize("name", sorted(n for n in MODULES if n.startswith("shgeo.rules")))
def test_rules_never_touch_geometry(name):
    for target, _, line in _imports(name):
        top = target.split(".")[0]
        assert top not in GEOMETRY_LIBRARIES, f"{name}:{line} imports {target}: rules are pure functions over facts"
        if top == "shgeo":
            assert any(target == m or target.startswith(m + ".") for m in RULES_MAY_IMPORT), (
                f"{name}:{line} imports {target}")


def test_no_grab_bag_modules():
    for name in MODULES:
        assert name.rsplit(".", 1)[-1] not in {"utils", "helpers", "misc", "common"}, name
