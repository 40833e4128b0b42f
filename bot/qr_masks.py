"""Choosing a QR code's data mask by the penalty rules of ISO/IEC 18004 §7.8.3, for the whole
symbol at once.

zint (through zxing-cpp) can evaluate the eight masks itself, but that takes about a third of a
millisecond a symbol, most of what an invitation's QR code cost. Here the symbol is encoded once,
with mask 0, and the seven others are derived from it: masking flips the data modules where the
mask's pattern is dark and writes the format information, neither of which depends on the data,
so symbol k is symbol 0 XOR a difference that depends only on the size and error correction
level (taken once from zint's own encodings of a symbol of that size). Each candidate is held as
one Python integer, its rows then its columns one after the other with light modules between
them, so that each penalty rule is a few shifts, ANDs and bit counts over every line at once.
The rules are zint's (runs of five or more, 2x2 blocks, the 1:1:3:1:1 finder-like pattern with
four light modules before or after it, the quiet zone counting as light; the balance of dark
modules), ties going to the lower mask: the symbol chosen is the one zint draws (see
tests/unit/test_qr.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

# Light modules around each packed line: wide enough that no pattern reaches the next line, and
# light as the quiet zone is, which the finder-like rule counts as light around the symbol.
GAP = 10
MASKS = 8
# Rows of modules, one byte a module: 0 dark, anything else light (zxing-cpp's image).
Modules = Sequence[bytes]
_DARK_AS_ONE = bytes([0x31] + [0x30] * 255)  # translate: 0 -> "1" (dark), the rest -> "0"
_ONE_AS_DARK = bytes(0 if byte == 0x31 else 255 for byte in range(256))


@dataclass(frozen=True)
class _Layout:
    """The bit masks of one symbol size. `_pack` writes the rows, then the columns, as one
    binary numeral: GAP light modules, then each line followed by `width - side` light ones, 1
    for dark, so that shifting right by one puts each module under the next one in its line and
    shifting by `width` under the one in the next line. (The rules read the same both ways.)"""

    side: int
    width: int  # bits a line takes, with the gap after it
    pairs: int  # modules with one before them in their line
    lower: int  # modules of the rows with a row above them
    every: int  # every bit, gaps included

    @classmethod
    def of(cls, side: int) -> _Layout:
        width = side + GAP
        gap = "0" * (width - side)
        pairs = "0" * GAP + gap.join(["0" + "1" * (side - 1)] * 2 * side) + gap
        lower = "0" * GAP + gap.join(["0" * side] + ["1" * side] * (side - 1) + ["0" * side] * side) + gap
        return cls(side, width, int(pairs, 2), int(lower, 2), (1 << len(pairs)) - 1)


def _pack(symbol: Modules, width: int) -> int:
    pixels = b"".join(symbol)
    side = len(symbol)
    lines = [*symbol, *(pixels[column::side] for column in range(side))]
    gap = b"0" * (width - side)
    return int(b"0" * GAP + gap.join(line.translate(_DARK_AS_ONE) for line in lines) + gap, 2)


def _unpack(packed: int, layout: _Layout) -> list[bytes]:
    """The rows, one byte a module (0 dark, 255 light), of `_pack`'s integer."""
    text = format(packed, "b").zfill(layout.every.bit_length()).encode("ascii")
    starts = range(GAP, GAP + layout.side * layout.width, layout.width)
    return [text[start : start + layout.side].translate(_ONE_AS_DARK) for start in starts]


def _penalty(dark: int, layout: _Layout) -> int:
    same = ~(dark ^ (dark >> 1)) & layout.pairs  # a module and the one before it alike
    fives = same & (same >> 1) & (same >> 2) & (same >> 3)  # the last of five alike
    # N1: a run of n >= 5 costs n - 2 (3, and 1 for each module beyond five): its n - 4 windows
    # of five, and 2 more for the run.
    runs = fives.bit_count() + 2 * (fives & ~(fives >> 1)).bit_count()
    # N2: 3 for each 2x2 block of one colour, counted on the rows (the columns hold the same).
    above = ~(dark ^ (dark >> layout.width)) & layout.lower
    blocks = (same & (same >> layout.width) & above).bit_count()
    # N3: 40 for dark-light-dark-dark-dark-light-dark with four light modules before or after.
    light = dark ^ layout.every
    finder = dark & (light >> 1) & (dark >> 2) & (dark >> 3) & (dark >> 4) & (light >> 5) & (dark >> 6)
    before = (light << 1) & (light << 2) & (light << 3) & (light << 4)
    after = (light >> 7) & (light >> 8) & (light >> 9) & (light >> 10)
    finders = (finder & (before | after)).bit_count()
    # N4: 10 for each full 5 % by which the dark modules are more or fewer than half (each dark
    # module is counted twice, in its row and its column).
    area = layout.side * layout.side
    balance = abs(10 * dark.bit_count() - 10 * area) // area
    return runs + 3 * blocks + 40 * finders + 10 * balance


@dataclass(frozen=True)
class MaskSet:
    """For one symbol size and error correction level: what turns mask 0 into each mask."""

    layout: _Layout
    differences: tuple[int, ...]

    @classmethod
    def from_symbols(cls, symbols: Sequence[Modules]) -> MaskSet:
        """From one text encoded with each mask, 0 to 7."""
        layout = _Layout.of(len(symbols[0]))
        packed = [_pack(symbol, layout.width) for symbol in symbols]
        return cls(layout, tuple(each ^ packed[0] for each in packed))

    def best(self, symbol: Modules) -> tuple[int, list[bytes]]:
        """The mask with the lowest penalty (the lowest of equals) and its symbol's rows, from
        `symbol` drawn with mask 0."""
        packed = _pack(symbol, self.layout.width)
        candidates = [packed ^ difference for difference in self.differences]
        scores = [_penalty(candidate, self.layout) for candidate in candidates]
        chosen = scores.index(min(scores))
        return chosen, _unpack(candidates[chosen], self.layout)
