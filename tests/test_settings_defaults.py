"""Defaults are written once, in scmap/settings.py (docs/architecture.md): no module of the
crawler repeats one as a fallback (`settings.getfloat("NAME", 2.0)`), and every name read
through scmap.setting_values has its default there. Checked by parsing the package (ast)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from scmap import settings as project_settings
from scmap.setting_values import default

REPO = Path(__file__).resolve().parents[1]
SETTINGS_GETTERS = {"get", "getint", "getfloat", "getbool", "getlist", "getdict", "getwithbase"}
DEFAULT_READERS = {"setting", "default", "float_setting", "int_setting", "bool_setting"}


def setting_name(node: ast.expr) -> str | None:
    """`node` if it is a setting's name: an upper-case string constant."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value.isupper() \
            and node.value.replace("_", "").isalnum():
        return node.value
    return None


def violations(source: str, where: str) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call) or not node.args:
            continue
        function = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
        if function in SETTINGS_GETTERS and len(node.args) >= 2 and setting_name(node.args[0]):
            found.append(f"{where}:{node.lineno}: {function}({node.args[0].value!r}, <fallback>) repeats a default")
        if function in DEFAULT_READERS:
            name = next((setting_name(arg) for arg in node.args if setting_name(arg)), None)
            if name and not hasattr(project_settings, name):
                found.append(f"{where}:{node.lineno}: {name} has no default in scmap/settings.py")
    return found


def test_no_module_repeats_a_default_and_every_default_is_in_settings() -> None:
    found = [line for path in sorted((REPO / "scmap").rglob("*.py")) if path.name != "settings.py"
             for line in violations(path.read_text(encoding="utf-8"), str(path.relative_to(REPO)))]
    assert not found, "\n".join(found)


def test_the_check_catches_both_kinds_of_slip() -> None:
    probe = ('settings.getfloat("FRONTIER_LEASE_SECONDS", 300.0)\n'
             'float_setting(settings, "FRONTIER_NO_SUCH_SETTING")\n'
             'request.meta.get("frontier_account", None)\n')  # not a setting: no upper-case name
    assert [line.split(": ", 1)[0] for line in violations(probe, "probe")] == ["probe:1", "probe:2"]


def test_default_names_a_missing_setting_plainly() -> None:
    assert default("FRONTIER_LEASE_SECONDS") == project_settings.FRONTIER_LEASE_SECONDS
    with pytest.raises(KeyError, match="FRONTIER_NO_SUCH_SETTING has no default in scmap/settings.py"):
        default("FRONTIER_NO_SUCH_SETTING")
