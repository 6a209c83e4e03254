"""The layout keeps telling the data flow: the rules of README's "How it works", checked."""

from __future__ import annotations

import ast
import re
from collections import Counter
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("crawler", "notifier", "newsradar")
MAX_MODULE_LINES = 400


def _modules(*folders: str) -> list[Path]:
    return sorted(
        path
        for folder in folders
        for path in (ROOT / folder).rglob("*.py")
        if "migrations" not in path.parts and ".venv" not in path.parts
    )


def _imported(path: Path) -> set[str]:
    """Top-level packages a module imports."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize(
    ("package", "forbidden"),
    [("crawler", {"notifier", "newsradar"}), ("notifier", {"crawler", "newsradar"})],
)
def test_the_stages_never_import_each_other_or_the_application(
    package: str, forbidden: set[str]
) -> None:
    offenders = {
        str(path.relative_to(ROOT)): sorted(_imported(path) & forbidden)
        for path in _modules(package)
        if _imported(path) & forbidden
    }
    assert offenders == {}


def test_no_module_is_over_the_size_limit() -> None:
    too_long = {
        str(path.relative_to(ROOT)): lines
        for path in _modules(*PACKAGES)
        if (lines := len(path.read_text(encoding="utf-8").splitlines())) > MAX_MODULE_LINES
    }
    assert too_long == {}


def test_no_two_modules_share_a_file_name() -> None:
    names = Counter(
        path.name for path in _modules(*PACKAGES, "bench", "tests") if path.name != "__init__.py"
    )
    assert {name: count for name, count in names.items() if count > 1} == {}


def test_every_module_the_readme_names_exists() -> None:
    """The data-flow table in README's "How it works" names modules by path: each is real."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## How it works", 1)[1].split("\n## ", 1)[0]
    named = set(re.findall(r"`((?:crawler|notifier|newsradar)/[\w/]+\.py)`", section))
    assert len(named) > 10
    assert sorted(path for path in named if not (ROOT / path).exists()) == []
