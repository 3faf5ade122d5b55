"""Layers run one way: ground (geo) < partners < sectors (geo.sectors) < services < app.

No module imports a layer above its own, and no two modules import each other.
"""
from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
#: Rank of each layer; a module may import only ranks <= its own.
RANKS = {"geo": 0, "partners": 1, "geo.sectors": 2, "services": 3, "app": 4}


def _layer(module: str) -> str | None:
    if module.startswith("geo.sectors"):
        return "geo.sectors"
    top = module.split(".")[0]
    return top if top in RANKS else None


def _modules():
    for package in ("geo", "partners", "services", "app"):
        for path in (ROOT / package).rglob("*.py"):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts = parts[:-1]
            yield ".".join(parts), path


def _imports(path: Path) -> set[str]:
    out = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.add(node.module)
            out.update(f"{node.module}.{a.name}" for a in node.names)
    return out


def test_no_import_runs_upward():
    upward = []
    for module, path in _modules():
        own = _layer(module)
        for imported in _imports(path):
            other = _layer(imported)
            if other is not None and RANKS[other] > RANKS[own]:
                upward.append(f"{module} ({own}) imports {imported} ({other})")
    assert not upward, "\n".join(sorted(upward))


def test_no_two_modules_import_each_other():
    known = dict(_modules())
    graph = {m: {i for i in _imports(p) if i in known and i != m} for m, p in known.items()}
    pairs = sorted({tuple(sorted((a, b))) for a, deps in graph.items() for b in deps
                    if a in graph.get(b, ()) and not (a.startswith(b + ".") or b.startswith(a + "."))})
    assert not pairs, pairs
