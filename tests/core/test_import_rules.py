"""Who may import whom: `app.core` is shared by every domain and imports none of
them (at the top of a module or inside a function); a site's service leaves what a
site change means for bookings and costs to `sites/flows.py`."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

APP = Path(__file__).resolve().parents[2] / "app"
DOMAINS = ("parties", "sites", "keys", "agreements", "bookings", "costs", "reports", "demo")


def imports_in(source: str, package: str) -> set[str]:
    """Every module `source` (a module of `package`) imports, anywhere in it, as
    absolute dotted names; `from m import n` counts as `m` and `m.n`."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                parent = ".".join(parts[: len(parts) - node.level + 1])
                base = f"{parent}.{base}" if base else parent
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return found


def domains_in(names: set[str], domains: tuple[str, ...] = DOMAINS) -> set[str]:
    return {n for n in names if any(n == f"app.{d}" or n.startswith(f"app.{d}.") for d in domains)}


def imports_of(path: Path) -> set[str]:
    package = ".".join(path.relative_to(APP.parent).parts[:-1])
    return imports_in(path.read_text(), package)


@pytest.mark.parametrize("path", sorted((APP / "core").glob("*.py")), ids=lambda p: p.name)
def test_core_imports_no_domain(path: Path) -> None:
    assert domains_in(imports_of(path)) == set()


def test_the_rule_sees_imports_inside_functions_and_every_form() -> None:
    source = (
        "import app.parties.models\n"
        "def f():\n"
        "    from app.keys.models import ApiKey\n"
        "    from app import bookings\n"
        "    from ..costs import service\n"
        "    from .db import Base\n"
    )
    assert domains_in(imports_in(source, "app.core")) == {
        "app.parties.models",
        "app.keys.models",
        "app.keys.models.ApiKey",
        "app.bookings",
        "app.costs",
        "app.costs.service",
    }


def test_the_site_service_leaves_bookings_and_costs_to_flows() -> None:
    assert domains_in(imports_of(APP / "sites" / "service.py"), ("bookings", "costs")) == set()
