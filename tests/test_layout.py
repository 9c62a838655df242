"""The shape of the code stays true: which package may import which.

Data flows one way (../shared/STYLE.md): the domain package ``plans`` is the floor
and imports none of the others; flows are pure (no storage, no SDK, no ORM); only
the gateway sends through the SDK; and the stand-in for LINE (``bot.localline``)
is used by the entry points (demo, CLI), tests and benchmarks, never by the
application code.

Each rule is checked on the real tree, and also on a small tree that breaks it,
so a rule that could never fail would show here.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("plans", "bot", "handlers", "flows", "storage", "scheduler")
APP_LAYERS = ("bot", "handlers", "flows", "storage", "scheduler")
ENTRY_POINTS = ("bot.cli", "bot.demo")  # may start the stand-in for LINE
STAND_IN = "bot.localline"


@dataclass(frozen=True)
class Import:
    module: str  # the importing module, dotted
    target: str  # what it imports, dotted
    line: int


def _module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(root: Path) -> Iterator[Import]:
    """Every import statement of the packages under ``root``, lazy ones inside functions too."""
    for package in PACKAGES:
        for path in sorted((root / package).rglob("*.py")):
            module = _module_name(path, root)
            tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
            for node in ast.walk(tree):
                if isinstance(node, ast.Import):
                    for alias in node.names:
                        yield Import(module, alias.name, node.lineno)
                elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                    yield Import(module, node.module, node.lineno)
                    for alias in node.names:  # `from bot import localline` imports bot.localline
                        yield Import(module, f"{node.module}.{alias.name}", node.lineno)


def _within(name: str, *prefixes: str) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


def violations(root: Path) -> list[str]:
    found: list[str] = []
    for imp in imports_of(root):
        where = f"{imp.module}:{imp.line} imports {imp.target}"
        if _within(imp.module, "plans"):
            if _within(imp.target, *APP_LAYERS):
                found.append(f"the domain package must import no application layer: {where}")
            if _within(imp.target, "linebot", "sqlalchemy", "flask", "redis"):
                found.append(f"the domain package must stay free of the SDK, ORM and I/O clients: {where}")
        if _within(imp.module, "flows"):
            if _within(imp.target, "storage", "handlers", "scheduler"):
                found.append(f"flows must be pure (no storage or use cases): {where}")
            if _within(imp.target, "linebot", "sqlalchemy", "redis"):
                found.append(f"flows must not import the SDK, the ORM or Redis: {where}")
        if _within(imp.target, "linebot.v3.messaging") and imp.module != "bot.gateway":
            found.append(f"only bot.gateway may import the SDK's messaging API: {where}")
        if (
            _within(imp.target, STAND_IN)
            and not _within(imp.module, STAND_IN)
            and not _within(imp.module, *ENTRY_POINTS)
        ):
            found.append(f"application code must not use the stand-in for LINE: {where}")
    return found


def test_the_tree_keeps_its_shape() -> None:
    assert violations(ROOT) == []


def test_every_package_is_scanned() -> None:
    modules = {imp.module for imp in imports_of(ROOT)}
    for package in PACKAGES:
        assert any(_within(m, package) for m in modules), package


BROKEN = {
    "domain imports storage": ("plans/progress.py", "from storage.plans import plan_steps\n", "the domain"),
    "domain imports the bot": ("plans/thai.py", "def f():\n    import bot.render\n", "the domain"),
    "domain imports the ORM": ("plans/fiscal.py", "from sqlalchemy import select\n", "free of the SDK"),
    "flows import storage": ("flows/report.py", "from storage import reports\n", "flows must be pure"),
    "flows import the SDK": ("flows/draft.py", "import linebot.v3.webhook\n", "flows must not"),
    "handler sends through the SDK": (
        "handlers/basic.py",
        "from linebot.v3.messaging import MessagingApi\n",
        "only bot.gateway",
    ),
    "application uses the stand-in": (
        "handlers/report.py",
        "from bot import localline\n",
        "stand-in for LINE",
    ),
    "worker uses the stand-in": ("bot/worker.py", "from bot.localline.world import World\n", "stand-in"),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_each_rule_fails_when_broken(case: str, tmp_path: Path) -> None:
    path, code, message = BROKEN[case]
    for package in PACKAGES:
        (tmp_path / package).mkdir()
        (tmp_path / package / "__init__.py").write_text("")
    (tmp_path / "bot" / "cli.py").write_text("from bot.localline import LocalLineServer\n")  # allowed
    target = tmp_path / path
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(code)
    found = violations(tmp_path)
    assert found and any(message in v for v in found), found
