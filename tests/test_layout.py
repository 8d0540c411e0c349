"""The house's plan (style.md): apps import only the floors below them, modules stay readable
sizes, and a file-name prefix repeated across an app's modules is an app asking to be born."""

import ast
from collections import Counter
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# Each app and the apps it may import (style.md's floors); hwb_portal composes them all.
FLOORS = {
    "core": set(),
    "schools": {"core"},
    "accounts": {"core", "schools"},
    "provisioning": {"core", "schools", "accounts"},
    "school_changes": {"core", "schools", "accounts", "provisioning"},
    "transfers": {"core", "schools", "accounts", "provisioning"},
    "service_desk": {"core", "schools", "accounts", "provisioning", "transfers", "school_changes"},
}
APPS = set(FLOORS) | {"hwb_portal"}
LONG = 450
SAYS_WHY = "It is long because"


def _modules(app: str):
    for path in sorted((ROOT / app).rglob("*.py")):
        if "migrations" not in path.parts:
            yield path


def _imported_apps(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        else:
            continue
        found.update(name.split(".")[0] for name in names if name.split(".")[0] in APPS)
    return found


@pytest.mark.parametrize("app", sorted(FLOORS))
def test_an_app_imports_only_the_floors_below_it(app):
    upward = [
        f"{path.relative_to(ROOT)} imports {other}"
        for path in _modules(app)
        for other in sorted(_imported_apps(path) - FLOORS[app] - {app})
    ]
    assert upward == []


def test_no_module_is_long_without_saying_why():
    unexplained = []
    for app in sorted(APPS):
        for path in _modules(app):
            source = path.read_text(encoding="utf-8")
            lines = source.count("\n")
            if lines > LONG and SAYS_WHY not in (ast.get_docstring(ast.parse(source)) or ""):
                unexplained.append(f"{path.relative_to(ROOT)} ({lines} lines)")
    assert unexplained == []


@pytest.mark.parametrize("app", sorted(APPS))
def test_no_file_name_prefix_runs_over_more_than_two_modules_of_an_app(app):
    prefixes = Counter()
    for path in (ROOT / app).glob("*.py"):
        if "_" in path.stem.strip("_"):
            prefixes[path.stem.strip("_").split("_")[0]] += 1
    assert [prefix for prefix, count in prefixes.items() if count > 2] == []
