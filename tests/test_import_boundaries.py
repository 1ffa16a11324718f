"""Data flows one way (docs/architecture.md): the analysis never imports the crawler, and the
crawler never imports the sandbox (only tests, benchmarks and the demo start it). Checked by
parsing every module's imports (ast), including function-level and `importlib` imports."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
# Modules of the crawler allowed to start the sandbox: the demo (sandbox -> crawl -> map).
SANDBOX_USERS = {"scmap/demo.py"}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(REPO).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_modules(path: Path) -> set[str]:
    """Absolute names of every module `path` imports (relative imports resolved)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = module_name(path).split(".")
    if path.name != "__init__.py":
        package = package[:-1]
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package[: len(package) - node.level + 1] + ([base] if base else []))
            names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant) \
                and isinstance(node.args[0].value, str):
            function = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            if function in ("import_module", "__import__"):
                names.add(node.args[0].value)
    return names


def python_files(directory: str) -> list[Path]:
    return sorted((REPO / directory).rglob("*.py"))


def violations(files: list[Path], forbidden: str) -> list[str]:
    return [f"{path.relative_to(REPO)} imports {name}" for path in files for name in sorted(imported_modules(path))
            if name == forbidden or name.startswith(forbidden + ".")]


def test_the_analysis_never_imports_the_crawler():
    assert python_files("analysis")
    assert violations(python_files("analysis"), "scmap") == []


def test_the_crawler_never_imports_the_sandbox():
    crawler = [p for p in python_files("scmap") if not p.relative_to(REPO).as_posix().startswith("scmap/sandbox/")
               and p.relative_to(REPO).as_posix() not in SANDBOX_USERS]
    packages = {p.relative_to(REPO).parts[1] for p in crawler}
    assert {"spiders", "frontier", "pipelines", "soundcloud", "commands"} <= packages
    assert violations(crawler, "scmap.sandbox") == []


@pytest.mark.parametrize(("source", "expected"), [
    ("import scmap.sandbox.world", "scmap.sandbox.world"),
    ("from scmap import sandbox", "scmap.sandbox"),
    ("from ..sandbox import runner", "scmap.sandbox.runner"),
    ("def f():\n    from scmap.sandbox.site import x", "scmap.sandbox.site"),
    ("import importlib\nimportlib.import_module('scmap.sandbox')", "scmap.sandbox"),
])
def test_the_checker_sees_every_form_of_import(tmp_path, monkeypatch, source, expected):
    """A checker that missed a form would pass on luck; each form is caught (probe module in a
    copy of the layout, so the checked tree is never touched)."""
    monkeypatch.setattr(f"{__name__}.REPO", tmp_path)
    module = tmp_path / "scmap" / "spiders" / "probe.py"
    module.parent.mkdir(parents=True)
    module.write_text(source)
    assert expected in imported_modules(module)
    assert violations([module], "scmap.sandbox")
