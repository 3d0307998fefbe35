"""QR symbols (`qr_matrix`): bytes in byte mode, error correction level M, a fixed mask — the
same modules segno draws for those settings, built in a fraction of its time. The bill prints
them (billing.bill_pdf); `qr_svg` draws them for a page (the authenticator app's setup).

segno builds a symbol in pure Python, bit by bit: Reed–Solomon over lists, the modules placed
and masked one call at a time; that was a third of a bill's render. Everything that depends
only on the version (where the function patterns, format and version information are, the
order in which the codeword bits fill the modules, the mask) is taken from segno once per
version; a payload then costs the error correction as whole-integer XORs and one gather of
its bits into the module grid. tests/core/test_qr_symbol.py checks the modules against
segno's at each version's capacity edge; the bill's and the setup page's are read back with ZXing.

This relies on segno's internals (`consts.ECC`, `GEN_POLY`, the Galois tables, `encoder`'s
placement functions), not its public API: segno is pinned with `==` for it
(docs/dependencies.md), and an upgrade needs those tests to pass."""

from dataclasses import dataclass
from functools import cache
from html import escape
from itertools import zip_longest
from operator import itemgetter
import re

import segno
from segno import consts, encoder

# The mask, fixed: choosing the best of the eight (segno scores each in pure Python) was half of
# a bill's render, and 20 of the authenticator setup page's 35 ms. Mask 2 is the best one for
# 96 % of bill payloads and its penalty score is within 5 % of the best for all measured
# (docs/bills.md); any mask is a valid symbol, the format information tells readers which one.
MASK = 2
_LEVEL = consts.ERROR_LEVEL_M
QUIET_ZONE = 4  # modules of light border around a symbol (ISO/IEC 18004 6.3.8)
DARK_RUN = re.compile(b"\x01+")  # a run of dark modules in a row of the matrix
_PADS = b"\xec\x11"  # pad codewords, alternating (ISO/IEC 18004 7.4.10)


@dataclass(frozen=True)
class _Layout:
    """What a version's symbols share."""

    version: int
    width: int
    blocks: tuple[int, ...]  # data codewords per block, in order
    ec_words: int  # error correction codewords per block (the same for all blocks of a level)
    remainder: int  # bits after the last codeword
    source: itemgetter  # module (row-major) -> index of its bit in message + [0]
    base: int  # the symbol of an all-zero message, as one integer of module bytes
    ec_table: tuple[int, ...]  # generator polynomial times each byte value, as integers


def _data_capacity(version: int) -> int:
    return sum(ec.num_blocks * ec.num_data for ec in consts.ECC[version][_LEVEL])


def _count_bits(version: int) -> int:
    return 8 if version < 10 else 16


def version_for(size: int) -> int:
    """The smallest version that holds `size` bytes in byte mode at level M."""
    for version in range(1, 41):
        header = 4 + _count_bits(version) + 4  # mode, character count, terminator
        if _data_capacity(version) * 8 >= header + 8 * size:
            return version
    raise ValueError(f"{size} bytes do not fit a QR code at level M")


def _ec_table(ec_words: int) -> tuple[int, ...]:
    """Row c: the generator polynomial (without its leading 1) times c in GF(256), as the
    integer of its bytes — one step of the synthetic division is then a shift and an XOR."""
    log, exp, gen = consts.GALIOS_LOG, consts.GALIOS_EXP, consts.GEN_POLY[ec_words]
    rows = [0]
    for coef in range(1, 256):
        rows.append(int.from_bytes(bytes(exp[log[coef] + g] for g in gen), "big"))
    return tuple(rows)


@cache
def _layout(version: int) -> _Layout:
    width = encoder.calc_matrix_size(version)
    function = encoder.make_matrix(width, width)
    encoder.add_finder_patterns(function, width, width)
    encoder.add_alignment_patterns(function, width, width)
    function[-8][8] = 0x1  # the dark module
    region = [(i, j) for i in range(width) for j in range(width) if function[i][j] == 0x2]
    # The order bits fill the modules: segno's own placement, fed bit numbers instead of bits.
    grid = [list(row) for row in function]
    encoder.add_codewords(grid, [-1 - n for n in range(len(region))], version)
    message_bit = {(i, j): -1 - grid[i][j] for i, j in region}
    zero = len(region)  # index of the constant 0 appended to the message's bits
    source = itemgetter(*(message_bit.get((i, j), zero) for i in range(width) for j in range(width)))
    # The function modules, format and version information of this version at level M and the
    # mask, and over the data region the mask alone (data bit 0 XOR mask).
    symbol = segno.make(b"", mode="byte", error="m", version=version, mask=MASK, boost_error=False).matrix
    flip = encoder.get_data_mask_functions(False)[MASK]
    base = bytearray(b"".join(symbol))
    for i, j in region:
        base[i * width + j] = flip(i, j)
    infos = consts.ECC[version][_LEVEL]
    ec_words = infos[0].num_total - infos[0].num_data
    blocks = tuple(ec.num_data for ec in infos for _ in range(ec.num_blocks))
    return _Layout(
        version=version,
        width=width,
        blocks=blocks,
        ec_words=ec_words,
        remainder=len(region) - 8 * (sum(blocks) + ec_words * len(blocks)),
        source=source,
        base=int.from_bytes(base, "big"),
        ec_table=_ec_table(ec_words),
    )


def _data_codewords(data: bytes, layout: _Layout) -> bytes:
    """Mode «byte», the length, the bytes, the terminator, then pad codewords."""
    count_bits = _count_bits(layout.version)
    header = (0b0100 << count_bits) | len(data)
    # 4 + count bits + 8n + a 4-bit terminator: whole bytes, since the count has 8 or 16 bits.
    bits = (header << 8 * len(data) | int.from_bytes(data, "big")) << 4
    used = (4 + count_bits + 8 * len(data) + 4) // 8
    capacity = sum(layout.blocks)
    # segno pads a stream that already ends on a byte boundary with a zero byte before the pad
    # codewords (a second terminator to a reader). The standard has no such byte: it is segno's
    # quirk, kept only so that bills print the same symbol as before (and as segno's).
    padding = b"\0" + _PADS * capacity
    return bits.to_bytes(used, "big") + padding[: capacity - used]


def _ec_block(block: bytes, layout: _Layout) -> bytes:
    size = layout.ec_words
    shift, keep, table = 8 * (size - 1), (1 << 8 * size) - 1, layout.ec_table
    remainder = 0
    for byte in block:
        remainder = ((remainder << 8) & keep) ^ table[byte ^ (remainder >> shift)]
    return remainder.to_bytes(size, "big")


def _message(data: bytes, layout: _Layout) -> bytes:
    """The final codeword sequence: data codewords, then error correction, interleaved by block."""
    codewords, blocks, start = _data_codewords(data, layout), [], 0
    for size in layout.blocks:
        blocks.append(codewords[start : start + size])
        start += size
    interleaved = bytearray()
    for column in zip_longest(*blocks):
        interleaved.extend(b for b in column if b is not None)
    for column in zip(*(_ec_block(block, layout) for block in blocks), strict=True):
        interleaved.extend(column)
    return bytes(interleaved)


def qr_matrix(data: bytes) -> tuple[bytes, ...]:
    """The modules of the QR code of `data` (byte mode, no ECI, level M, mask `MASK`, the
    smallest version): one bytes object per row, 1 for dark, without the quiet zone."""
    layout = _layout(version_for(len(data)))
    message = _message(data, layout)
    bits = format(int.from_bytes(message, "big"), f"0{8 * len(message)}b").encode().translate(_BITS)
    modules = bytes(layout.source(bits + bytes(layout.remainder + 1)))
    flat = (int.from_bytes(modules, "big") ^ layout.base).to_bytes(layout.width**2, "big")
    return tuple(flat[row : row + layout.width] for row in range(0, len(flat), layout.width))


_BITS = bytes.maketrans(b"01", b"\x00\x01")


def qr_svg(data: bytes, scale: int, title: str) -> str:
    """The symbol of `data` as inline SVG with its quiet zone, `scale` pixels a module, named by
    `title` for screen readers: one path, a horizontal stroke per run of dark modules (segno's
    shape, so the page's styles apply alike)."""
    matrix = qr_matrix(data)
    size = (len(matrix) + 2 * QUIET_ZONE) * scale
    runs = "".join(
        f"M{QUIET_ZONE + start} {QUIET_ZONE + y}.5h{end - start}"
        for y, row in enumerate(matrix)
        for start, end in (run.span() for run in DARK_RUN.finditer(row))
    )
    return (
        f'<svg width="{size}" height="{size}" class="segno"><title>{escape(title)}</title>'
        f'<path transform="scale({scale})" class="qrline" stroke="#000" d="{runs}"/></svg>'
    )
