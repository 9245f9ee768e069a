"""The packages form layers (README, Layout): a package imports only from its own layer and
the ones below, at the top of a module or inside a function alike, and never in a loop.
create_app (resdir/__init__.py) alone reaches up: it loads the features."""

from __future__ import annotations

import ast
from pathlib import Path

RESDIR = Path(__file__).resolve().parent.parent / "resdir"

# Bottom first. A new package gets a line here: below everything it serves.
LAYERS = [
    {"basics", "config", "extensions", "gazetteer", "i18n", "languages", "mail"},
    {"audit", "errors", "geo", "shipped"},
    {"params", "search", "values"},
    {"directory"},
    {"auth", "health"},
    {"categorize", "matching"},
    {"agencies", "referrals"},
    {"curation", "interop", "jobs", "versioning"},
    {"cli"},
]
LAYER = {package: n for n, packages in enumerate(LAYERS) for package in packages}


def _package(module: str) -> str | None:
    """`resdir.directory.models` -> `directory`; None outside resdir (or resdir itself)."""
    parts = module.split(".")
    return parts[1] if parts[0] == "resdir" and len(parts) > 1 else None


def _imports(path: Path) -> list[tuple[int, str]]:
    """(line, module) for every import in the file, relative ones resolved."""
    here = list(path.relative_to(RESDIR.parent).with_suffix("").parts[:-1])  # its package
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(here[:len(here) - node.level + 1] + ([base] if base else []))
            # `from resdir import errors` imports the module resdir.errors
            found += [(node.lineno, f"{base}.{alias.name}" if base == "resdir" else base)
                      for alias in node.names]
    return found


def _edges() -> dict[tuple[str, str], list[str]]:
    """(importer, imported) package -> where, for imports between two resdir packages."""
    edges: dict[tuple[str, str], list[str]] = {}
    for path in sorted(RESDIR.rglob("*.py")):
        relative = path.relative_to(RESDIR)
        if relative.parts[0] == "migrations" or relative == Path("__init__.py"):
            continue
        importer = relative.parts[0].removesuffix(".py")
        for line, module in _imports(path):
            imported = _package(module)
            if imported and imported != importer:
                edges.setdefault((importer, imported), []).append(f"resdir/{relative}:{line}")
    return edges


def test_every_package_has_a_layer():
    packages = {p.name.removesuffix(".py") for p in RESDIR.iterdir()
                if (p.suffix == ".py" and p.name != "__init__.py")
                or (p.is_dir() and (p / "__init__.py").exists() and p.name != "migrations")}
    assert packages - set(LAYER) == set(), "add these packages to LAYERS"


def test_no_package_imports_a_higher_layer():
    upward = {f"{a} -> {b}": where for (a, b), where in _edges().items()
              if LAYER[b] > LAYER[a]}
    assert upward == {}


def test_no_import_loops_between_packages():
    edges = _edges()
    graph: dict[str, set[str]] = {}
    for a, b in edges:
        graph.setdefault(a, set()).add(b)

    def reaches(start: str, goal: str) -> bool:
        seen, todo = set(), [start]
        while todo:
            node = todo.pop()
            if node == goal:
                return True
            if node not in seen:
                seen.add(node)
                todo += graph.get(node, ())
        return False

    loops = sorted(f"{a} -> {b} ({edges[(a, b)][0]})" for a, b in edges if reaches(b, a))
    assert loops == []
