"""QR symbols built from segno's per-version layouts (core.qr_symbol): the same modules as
segno's for byte mode, level M and the fixed mask, at every version's capacity edge; and drawn
as a page's SVG that a reader decodes."""

from html import unescape
import re

from PIL import Image
import pytest
import segno
from segno import consts
import zxingcpp

from kabinet.core.qr_symbol import MASK, QUIET_ZONE, qr_matrix, qr_svg, version_for


def byte_capacity(version: int) -> int:
    """The bytes a symbol of `version` holds in byte mode at level M, from segno's table of
    data bits: less the mode (4 bits) and the character count (8 bits, 16 from version 10)."""
    return (consts.SYMBOL_CAPACITY[version][consts.ERROR_LEVEL_M] - 4 - (8 if version < 10 else 16)) // 8


# Each version's edge: the last byte that leaves room, the one that fills it, and one too many
# (the next version's first; version 40's is refused, below).
EDGES = [1, *(byte_capacity(version) + d for version in range(1, 41) for d in (-1, 0, 1) if (version, d) != (40, 1))]


@pytest.mark.parametrize("size", EDGES)
def test_qr_symbol_has_segnos_modules_for_byte_mode_level_m_and_the_fixed_mask(size):
    data = bytes((n * 37 + size) % 256 for n in range(size))
    expected = segno.make(data, mode="byte", error="m", micro=False, mask=MASK, boost_error=False)
    assert version_for(size) == expected.version
    assert qr_matrix(data) == tuple(bytes(row) for row in expected.matrix), f"version {expected.version}"


def test_qr_symbol_refuses_more_than_version_40_holds():
    assert byte_capacity(40) == 2331
    with pytest.raises(ValueError, match="do not fit"):
        qr_matrix(bytes(2332))


# --- As SVG ------------------------------------------------------------------------------------
URI = "otpauth://totp/%D0%AD%D0%BD%D0%B5%D1%80%D0%B3%D0%BE%3A%2B79120000001?secret=JBSWY3DPEHPK3PXP&issuer=x"


def drawn_modules(svg: str, scale: int) -> list[list[int]]:
    """The module grid an SVG renderer paints from the path: each `Mx y.5hN` is a stroke of
    width 1 centred on row y, covering modules x … x+N-1."""
    size = int(re.search(r'<svg width="(\d+)" height="\1"', svg).group(1)) // scale
    grid = [[0] * size for _ in range(size)]
    path = re.search(r'<path transform="scale\(' + str(scale) + r'\)" [^>]*\bd="([^"]*)"', svg).group(1)
    moves = re.findall(r"M(\d+) (\d+)\.5h(\d+)", path)
    assert "".join(f"M{x} {y}.5h{n}" for x, y, n in moves) == path, "only absolute one-row strokes"
    for x, y, n in moves:
        for column in range(int(x), int(x) + int(n)):
            grid[int(y)][column] = 1
    return grid


def test_qr_svg_draws_every_dark_module_inside_its_quiet_zone():
    svg = qr_svg(URI.encode(), scale=4, title="QR-код")
    matrix = qr_matrix(URI.encode())
    side = len(matrix) + 2 * QUIET_ZONE
    assert svg.startswith(f'<svg width="{side * 4}" height="{side * 4}" class="segno"><title>QR-код</title>')
    light = [0] * side
    expected = [light] * QUIET_ZONE + [[0] * QUIET_ZONE + list(row) + [0] * QUIET_ZONE for row in matrix]
    assert drawn_modules(svg, 4) == expected + [light] * QUIET_ZONE


def test_qr_svg_is_read_back_by_a_reader():
    svg = qr_svg(URI.encode(), scale=4, title="QR-код")
    grid = drawn_modules(svg, 4)
    image = Image.new("L", (len(grid), len(grid)), 255)
    image.putdata([0 if dark else 255 for row in grid for dark in row])
    found = zxingcpp.read_barcodes(image.resize((len(grid) * 4,) * 2, Image.NEAREST))
    assert [code.text for code in found] == [URI]


def test_qr_svg_escapes_its_title():
    svg = qr_svg(b"x", scale=2, title='<a href="x">')
    assert "<a" not in svg and unescape(re.search(r"<title>(.*)</title>", svg).group(1)) == '<a href="x">'
