"""The library speaks in its own terms: no message or hint of a library error names a command-line flag.

Options are written ``{opt:name}`` (see ``crmcli.errors``): the CLI spells them as the flag, CRM_* variable or
crm.toml key the user actually used, the library as the keyword argument.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from crmcli.config import Settings
from crmcli.errors import UsageError

ROOT = Path(__file__).resolve().parent.parent / "crmcli"
FLAG = re.compile(r"(?<![\w-])(--[a-z][a-z-]*|-o\b)")


def _error_texts():
    for path in sorted(ROOT.rglob("*.py")):
        if "cli" in path.relative_to(ROOT).parts[:1]:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", "")).endswith("Error"):
                for arg in [*node.args, *(k.value for k in node.keywords)]:
                    for sub in ast.walk(arg):
                        if isinstance(sub, ast.Constant) and isinstance(sub.value, str):
                            yield f"{path.relative_to(ROOT)}:{sub.lineno}", sub.value


def test_no_library_error_names_a_flag():
    found = [f"{where}: {text!r}" for where, text in _error_texts() if FLAG.search(text)]
    assert not found, "write {opt:name} instead of the flag:\n" + "\n".join(found)


@pytest.mark.parametrize("origin, spelled", [({}, "--as-of"), ({"as_of": "env"}, "CRM_AS_OF"),
                                             ({"as_of": "config"}, "as_of in crm.toml")])
def test_an_option_is_spelled_the_way_it_was_set(origin, spelled):
    exc = UsageError("{opt:as_of} 'soon' is not a date", hint="check {opt:as_of}")
    message, hint = exc.render(Settings(origin=origin).spell)
    assert message == f"{spelled} 'soon' is not a date" and hint == f"check {spelled}"
    assert str(exc) == "as_of= 'soon' is not a date"  # the library: the keyword
