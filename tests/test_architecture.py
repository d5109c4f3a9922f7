"""The arrows of the data path (DESIGN §2) point one way: checked on the source, with ``ast``.

* Core modules (the model, compile, the engine, the forecast and its analyses) never import
  :mod:`riskcast.io`: files are read and written at the edges (``riskcast.load``, the CLI).
* The engine knows nothing of names, dates, files or Python objects: ``riskcast.engine`` imports
  nothing from riskcast outside itself except the shared contract modules (lookup tables, errors).

Imports inside functions count too (a lazy import is still a dependency); imports under
``if TYPE_CHECKING:`` do not (they name types for annotations and are never executed).
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from pathlib import Path

import riskcast

PACKAGE = Path(riskcast.__file__).parent
EDGES = {"__init__", "__main__"}  # the public facade and the entry point may import io
EDGE_PACKAGES = {"cli", "io"}
ENGINE_MAY_IMPORT = ("riskcast.engine", "riskcast.tables", "riskcast.units", "riskcast.errors")
CORE = {  # must exist, so that a rename cannot make the check pass by testing nothing
    "model",
    "distributions",
    "calendar",
    "compile",
    "forecast",
    "simulate",
    "risks",
    "correlation",
    "drivers",
    "explain",
    "quality",
    "tables",
    "suggest",
    "statistics",
    "units",
    "engine.codes",
    "engine.run",
    "engine.kernels",
    "engine.sampling",
}


def module_name(path: Path, package: Path = PACKAGE) -> str:
    parts = path.relative_to(package.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def core_modules() -> dict[str, Path]:
    """Every module of the package outside the edges, by dotted name."""
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        inner = path.relative_to(PACKAGE).parts
        if inner[0] in EDGE_PACKAGES or (len(inner) == 1 and path.stem in EDGES):
            continue
        found[module_name(path)] = path
    return found


def imports(path: Path, package: Path = PACKAGE) -> list[tuple[int, str]]:
    """``(line, dotted name)`` of everything ``path`` imports, relative imports resolved.

    ``from a.b import c`` gives ``a.b.c`` (``c`` may be a submodule or a name in ``a.b``; either
    way it is a dependency on ``a.b``).
    """
    name = module_name(path, package)
    parent = name if path.stem == "__init__" else name.rpartition(".")[0]
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    for_types_only = {
        id(inner)
        for node in ast.walk(tree)
        if isinstance(node, ast.If) and ast.unparse(node.test).endswith("TYPE_CHECKING")
        for statement in node.body
        for inner in ast.walk(statement)
    }
    found = []
    for node in ast.walk(tree):
        if id(node) in for_types_only:
            continue
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parts = parent.split(".")
                base = ".".join(parts[: len(parts) - node.level + 1])
                base = f"{base}.{node.module}" if node.module else base
            else:
                base = node.module or ""
            found += [(node.lineno, f"{base}.{alias.name}") for alias in node.names]
    return found


def within(name: str, modules: tuple[str, ...]) -> bool:
    return any(name == m or name.startswith(f"{m}.") for m in modules)


def offending(modules: dict[str, Path], allowed: Callable[[str], bool]) -> list[str]:
    """``module line N: imports a, b`` for each import of riskcast names that ``allowed`` refuses."""
    bad: dict[tuple[str, int], list[str]] = {}
    for name, path in modules.items():
        for line, target in imports(path):
            if within(target, ("riskcast",)) and not allowed(target):
                bad.setdefault((name, line), []).append(target)
    return [f"{name} line {line}: imports {', '.join(t)}" for (name, line), t in bad.items()]


def test_the_import_parser_resolves_relative_imports(tmp_path):
    fake = tmp_path / "riskcast"
    (fake / "engine").mkdir(parents=True)
    source = (
        "import numpy\nimport riskcast.io.modelfile\nfrom .. import tables\n"
        "from ..io import schedules\nfrom ._jit import leaf\n"
        "def f():\n    from riskcast.compile import Network\n"
        "if TYPE_CHECKING:\n    from riskcast.model import Project\n"
    )
    (fake / "engine" / "run.py").write_text(source, encoding="utf-8")
    assert imports(fake / "engine" / "run.py", fake) == [
        (1, "numpy"),
        (2, "riskcast.io.modelfile"),
        (3, "riskcast.tables"),
        (4, "riskcast.io.schedules"),
        (5, "riskcast.engine._jit.leaf"),
        (7, "riskcast.compile.Network"),
    ]


def test_the_core_modules_are_all_found():
    missing = CORE - {name.removeprefix("riskcast.") for name in core_modules()}
    assert not missing, f"core modules not found (renamed? update CORE): {sorted(missing)}"


def test_core_modules_do_not_import_io():
    bad = offending(core_modules(), lambda target: not within(target, ("riskcast.io",)))
    assert not bad, "core modules must not import riskcast.io:\n" + "\n".join(bad)


def test_the_engine_imports_only_itself_and_the_shared_contract():
    allowed = ENGINE_MAY_IMPORT
    engine = {k: v for k, v in core_modules().items() if within(k, ("riskcast.engine",))}
    assert engine
    bad = offending(engine, lambda target: within(target, allowed))
    assert not bad, (
        f"riskcast.engine may import from riskcast only {', '.join(allowed)}:\n" + "\n".join(bad)
    )
