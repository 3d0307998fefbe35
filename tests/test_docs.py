"""The README and docs/DESIGN.md tell the truth about the tree and the settings: a folder in
their layout exists or says when it comes, and every variable settings.py reads is documented."""

from pathlib import Path
import re

import pytest

ROOT = Path(__file__).resolve().parents[1]
LAYOUTS = [ROOT / "README.md", ROOT / "docs" / "DESIGN.md"]


def layout_lines(document: Path) -> list[tuple[str, str]]:
    """(folder path, its line) for each folder in the document's first code block that lists
    `kabinet/`, nested by indentation."""
    text = document.read_text(encoding="utf-8")
    blocks = [b for b in re.findall(r"^```\w*\n(.*?)^```", text, re.S | re.M) if b.startswith("kabinet/")]
    if not blocks:
        pytest.fail(f"{document.name} has no layout block: a code block whose first line is `kabinet/`")
    block = blocks[0]
    found, parent = [], ""
    for line in block.splitlines():
        match = re.match(r"( *)([\w.]+/)\s", line + " ")
        if not match:
            continue  # a continuation of the line above
        folder = match.group(2)
        if not match.group(1):
            parent = folder
            found.append((folder, line))
        else:
            found.append((parent + folder, line))
    return found


@pytest.mark.parametrize("document", LAYOUTS, ids=lambda p: p.name)
def test_every_folder_in_the_layout_exists_or_says_when_it_comes(document):
    lines = layout_lines(document)
    assert len(lines) > 8  # the block was found and read
    missing = [line for folder, line in lines if not (ROOT / folder).is_dir() and "to come" not in line]
    assert missing == []


SETTINGS = ROOT / "kabinet" / "settings.py"


def names_settings_reads() -> set[str]:
    """Every environment variable settings.py reads, including those read through
    dj_database_url and the exchange bucket's `_exchange_s3("NAME", ...)`."""
    settings = SETTINGS.read_text(encoding="utf-8")
    names = set(re.findall(r"""(?:os\.environ\.get|env_bool|env_list)\(\s*["']([A-Z][A-Z0-9_]+)""", settings))
    names |= set(re.findall(r"""\(\s*env=["']([A-Z][A-Z0-9_]+)""", settings))
    names |= {f"KABINET_EXCHANGE_S3_{n}" for n in re.findall(r"""_exchange_s3\(\s*["']([A-Z][A-Z0-9_]+)""", settings)}
    assert {"DJANGO_DEBUG", "KABINET_LOCKOUT", "DATABASE_URL", "KABINET_EXCHANGE_S3_REGION"} <= names
    return names


def test_every_variable_settings_reads_is_a_row_of_the_readme_table():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    rows = set(re.findall(r"^\| `([A-Z][A-Z0-9_]+)` \|", readme, re.M))
    assert sorted(names_settings_reads() - rows) == []


def test_every_name_in_the_env_example_is_one_settings_reads():
    example = (ROOT / "deploy" / "kabinet.env.example").read_text(encoding="utf-8")
    names = set(re.findall(r"^#? ?([A-Z][A-Z0-9_]+)=", example, re.M))
    assert len(names) > 10  # the file was read
    assert sorted(names - names_settings_reads()) == []
