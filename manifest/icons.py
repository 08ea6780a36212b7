"""The app's two PNG icons, drawn with the standard library only (zlib + struct): `python -m manifest.icons`."""

from __future__ import annotations

import struct
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

Rgb = tuple[int, int, int]
Pixel = tuple[int, int, int, int]

ACCENT: Rgb = (0x40, 0x52, 0xD6)  # the manifest's accentColor, #4052D6
WHITE: Rgb = (0xFF, 0xFF, 0xFF)
COLOR_SIZE = 192  # Teams: full-colour icon, 192x192
OUTLINE_SIZE = 32  # Teams: white-on-transparent outline icon, 32x32
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
HERE = Path(__file__).resolve().parent
COLOR_FILE = "color.png"
OUTLINE_FILE = "outline.png"


@dataclass(frozen=True, slots=True)
class Letter:
    """An "M" in unit coordinates (0..1 across the icon): two stems and two bars meeting at the valley."""

    left: float
    right: float
    top: float
    bottom: float
    stroke: float
    valley: float

    def covers(self, u: float, v: float) -> bool:
        if not (self.top <= v <= self.bottom and self.left <= u <= self.right):
            return False
        if self.left <= u <= self.left + self.stroke or self.right - self.stroke <= u <= self.right:
            return True
        middle = (self.left + self.right) / 2
        half = self.stroke / 2
        if u <= middle:
            return _on_bar(u, v, (self.left + half, self.top), (middle, self.valley), half)
        return _on_bar(u, v, (self.right - half, self.top), (middle, self.valley), half)


COLOR_LETTER = Letter(left=0.24, right=0.76, top=0.28, bottom=0.72, stroke=0.11, valley=0.60)
OUTLINE_LETTER = Letter(left=0.09, right=0.91, top=0.16, bottom=0.84, stroke=0.16, valley=0.66)
CORNER_RADIUS = 0.22  # of the colour icon's rounded square, as a share of its side


def _on_bar(u: float, v: float, start: tuple[float, float], end: tuple[float, float], half: float) -> bool:
    """A straight bar `2 * half` wide along the segment start-end, running on past `end`.

    Each bar is clipped to its own half of the letter, so the two overrun ends meet in a sharp valley.
    """
    du, dv = end[0] - start[0], end[1] - start[1]
    length = (du * du + dv * dv) ** 0.5
    pu, pv = u - start[0], v - start[1]
    along = (pu * du + pv * dv) / length
    across = abs(pu * dv - pv * du) / length
    return along <= length + 3 * half and across <= half


def _in_rounded_square(u: float, v: float, radius: float) -> bool:
    nearest_u = min(max(u, radius), 1 - radius)
    nearest_v = min(max(v, radius), 1 - radius)
    return (u - nearest_u) ** 2 + (v - nearest_v) ** 2 <= radius * radius


def _coverage(size: int, x: int, y: int, inside: Callable[[float, float], bool], samples: int) -> float:
    """The share of a pixel's samples (samples x samples of them) that fall inside the shape."""
    hits = 0
    for i in range(samples):
        for j in range(samples):
            if inside((x + (i + 0.5) / samples) / size, (y + (j + 0.5) / samples) / size):
                hits += 1
    return hits / (samples * samples)


def color_pixels(size: int = COLOR_SIZE, samples: int = 4) -> list[Pixel]:
    """An accent-coloured rounded square (anti-aliased edges) with a white "M"."""
    pixels: list[Pixel] = []
    for y in range(size):
        for x in range(size):
            square = _coverage(size, x, y, lambda u, v: _in_rounded_square(u, v, CORNER_RADIUS), samples)
            letter = _coverage(size, x, y, COLOR_LETTER.covers, samples)
            r, g, b = (round(a + (w - a) * letter) for a, w in zip(ACCENT, WHITE, strict=True))
            pixels.append((r, g, b, round(255 * square)))
    return pixels


def outline_pixels(size: int = OUTLINE_SIZE, samples: int = 4) -> list[Pixel]:
    """A white "M" on a transparent background; every pixel is fully opaque white or fully transparent."""
    pixels: list[Pixel] = []
    for y in range(size):
        for x in range(size):
            opaque = _coverage(size, x, y, OUTLINE_LETTER.covers, samples) >= 0.5
            pixels.append((*WHITE, 255 if opaque else 0))
    return pixels


def encode_png(width: int, height: int, pixels: list[Pixel]) -> bytes:
    """An 8-bit RGBA, non-interlaced PNG; every scanline uses filter type 0 (None)."""
    if len(pixels) != width * height:
        raise ValueError(f"expected {width * height} pixels, got {len(pixels)}")
    raw = bytearray()
    for row in range(height):
        raw.append(0)
        for pixel in pixels[row * width : (row + 1) * width]:
            raw.extend(pixel)
    header = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)
    image = zlib.compress(bytes(raw), 9)
    return PNG_SIGNATURE + _chunk(b"IHDR", header) + _chunk(b"IDAT", image) + _chunk(b"IEND", b"")


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def color_png() -> bytes:
    return encode_png(COLOR_SIZE, COLOR_SIZE, color_pixels())


def outline_png() -> bytes:
    return encode_png(OUTLINE_SIZE, OUTLINE_SIZE, outline_pixels())


def write_icons(folder: Path = HERE) -> tuple[Path, Path]:
    """Regenerate the committed icons next to the manifest template."""
    color, outline = folder / COLOR_FILE, folder / OUTLINE_FILE
    color.write_bytes(color_png())
    outline.write_bytes(outline_png())
    return color, outline


if __name__ == "__main__":
    for written in write_icons():
        print(written)
