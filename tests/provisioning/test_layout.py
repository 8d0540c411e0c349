"""Provisioning's modules each do one job: none passes 450 lines without saying why."""

import ast
from pathlib import Path

import provisioning

LIMIT = 450
ROOT = Path(provisioning.__file__).parent


def test_no_provisioning_module_is_long_without_saying_why():
    unexplained = []
    for path in sorted(ROOT.rglob("*.py")):
        if "migrations" in path.parts:
            continue
        source = path.read_text(encoding="utf-8")
        if source.count("\n") <= LIMIT:
            continue
        docstring = ast.get_docstring(ast.parse(source)) or ""
        if "It is long because" not in docstring:
            unexplained.append(f"{path.relative_to(ROOT)} ({source.count(chr(10))} lines)")
    assert not unexplained, f"long modules that do not say why: {unexplained}"
