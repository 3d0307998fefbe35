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
    block = next(b for b in re.findall(r"^```\w*\n(.*?)^```", text, re.S | re.M) if b.startswith("kabinet/"))
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


def test_every_variable_settings_reads_is_documented():
    settings = (ROOT / "kabinet" / "settings.py").read_text(encoding="utf-8")
    names = set(re.findall(r"""(?:os\.environ\.get|env_bool|env_list)\(\s*["']([A-Z][A-Z0-9_]+)""", settings))
    assert "DJANGO_DEBUG" in names and "KABINET_LOCKOUT" in names
    docs = "".join(p.read_text(encoding="utf-8") for p in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))])
    assert sorted(name for name in names if f"`{name}`" not in docs) == []
