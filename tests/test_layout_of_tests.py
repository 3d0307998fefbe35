"""Test modules share builders through tests/factories.py, never by importing one another (a
test module imported elsewhere runs its own tests' imports, couples unrelated files, and a
conftest imported by name is a second copy of its fixtures)."""

import ast
from pathlib import Path

TESTS = Path(__file__).parent
# Modules of tests/ that other test modules may import: builders, and helpers that are no test.
SHARED = {
    "tests.factories",
    "tests.e2e.helpers",  # the browser helpers of the e2e tests
    "tests.notifications.fake_smsc",  # a local SMSC.ru look-alike
    "tests.payments.fake_yookassa",  # a local ЮKassa API v3 look-alike
    "tests.empty_state",  # reads a page's empty state
    "tests.plain_http",  # a plain HTTP client for the tests of the server's own answers
    "tests.core.urls_with_outbox",  # a URLconf (ROOT_URLCONF of one test), not a test module
}


def imported_test_modules(path: Path) -> list[str]:
    names = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append(node.module)
        elif isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
    return [name for name in names if name == "tests" or name.startswith("tests.")]


def test_test_modules_import_only_the_shared_helpers():
    wrong = [
        f"{path.relative_to(TESTS.parent)} imports {name}"
        for path in sorted(TESTS.rglob("*.py"))
        for name in imported_test_modules(path)
        if name not in SHARED
    ]
    assert not wrong, "import these from tests/factories.py instead:\n" + "\n".join(wrong)


def test_the_shared_helpers_are_no_test_modules():
    for name in SHARED:
        path = TESTS.parent / (name.replace(".", "/") + ".py")
        assert path.exists(), name
        assert "def test_" not in path.read_text(encoding="utf-8"), f"{name} holds tests: it is a test module"
