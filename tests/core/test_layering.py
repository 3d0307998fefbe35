"""Dependencies point one way (docs/DESIGN.md): the UI apps use the domain apps, never each
other, and the domain apps never use a UI app. Read from the source, so an import added
anywhere, even inside a function, fails here."""

import ast
from pathlib import Path

import pytest

import kabinet

PACKAGE = Path(kabinet.__file__).parent
UI_APPS = {"portal", "backoffice", "api"}
DOMAIN_APPS = {"core", "identity", "billing", "appeals", "readings", "notifications", "exchange", "payments"}


def _absolute(node: ast.ImportFrom, module_path: str) -> str:
    """`from .x import y` inside kabinet.portal.views → kabinet.portal.x (enough for the app)."""
    if not node.level:
        return node.module or ""
    base = module_path.split(".")[: -node.level]
    return ".".join(base + ([node.module] if node.module else []))


def imported_apps(source: str, module_path: str) -> set[str]:
    """The kabinet apps a module imports (the second part of every `kabinet.<app>…` it names)."""
    names: list[str] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            module = _absolute(node, module_path)
            names += [module] + [f"{module}.{alias.name}" for alias in node.names]
    return {name.split(".")[1] for name in names if name.startswith("kabinet.")}


def app_imports(app: str) -> dict[str, set[str]]:
    """Module path → the other kabinet apps it imports, for every module of one app."""
    found = {}
    for path in sorted((PACKAGE / app).rglob("*.py")):
        module_path = ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        found[module_path] = imported_apps(path.read_text(encoding="utf-8"), module_path) - {app}
    return found


def offenders(app: str, forbidden: set[str]) -> dict[str, set[str]]:
    return {module: apps & forbidden for module, apps in app_imports(app).items() if apps & forbidden}


@pytest.mark.parametrize("app", sorted(UI_APPS & {p.name for p in PACKAGE.iterdir()}))
def test_a_ui_app_never_imports_another_ui_app(app):
    assert offenders(app, UI_APPS - {app}) == {}


@pytest.mark.parametrize("app", sorted(DOMAIN_APPS))
def test_a_domain_app_never_imports_a_ui_app(app):
    assert offenders(app, UI_APPS) == {}


def test_the_walk_sees_imports_of_every_kind():
    """The checker itself: absolute, from-, relative and function-level imports all count."""
    source = (
        "import kabinet.billing.models\n"
        "from kabinet import identity\n"
        "from ..appeals import files\n"
        "def f():\n    from kabinet.portal.views.common import ip\n"
    )
    assert imported_apps(source, "kabinet.backoffice.views") == {"billing", "identity", "appeals", "portal"}
    assert app_imports("portal"), "the walk found the portal's modules"
