"""The timeline figure of all meetings: an SVG for HTML/PDF and a print-resolution PNG for DOCX."""

from __future__ import annotations

import datetime as dt
import io
import shutil
import subprocess
from dataclasses import dataclass
from functools import lru_cache

from markupsafe import Markup, escape

WIDTH = 760.0
LEVEL_HEIGHT = 26.0
AXIS_MARGIN = 30.0
CHAR_WIDTH = 5.0  # average advance of the 9-unit label font, for collision checks
# Rows of labels at most: the figure stays within half a page (a row is LEVEL_HEIGHT units of the
# 760-unit width); a meeting whose label finds no room is marked on the axis without one.
MAX_LEVELS = 8
NOTE_HEIGHT = 14.0
AXIS_Y = 20.0


_TEXT = 'text-anchor="middle" font-family="Noto Sans, sans-serif"'


@dataclass(frozen=True)
class Event:
    """One mark on the timeline."""

    day: dt.date
    label: str
    sublabel: str
    anchor: str


@dataclass(frozen=True)
class _Placed:
    event: Event
    x: float
    level: int | None  # None: marked on the axis, without a label
    left: float
    right: float


def _layout(events: list[Event]) -> tuple[list[_Placed], list[tuple[float, str]], int]:
    if not events:
        return [], [], 0
    first = min(e.day for e in events)
    last = max(e.day for e in events)
    start = dt.date(first.year, 1, 1)
    end = dt.date(last.year + 1, 1, 1)
    span = (end - start).days or 1

    def x_of(day: dt.date) -> float:
        return AXIS_MARGIN + (WIDTH - 2 * AXIS_MARGIN) * (day - start).days / span

    placed: list[_Placed] = []
    # Labels go left to right, so a level is free where its rightmost label ends before this one.
    level_ends: list[float] = []
    for event in sorted(events, key=lambda e: e.day):
        x = x_of(event.day)
        width = CHAR_WIDTH * max(len(event.label), len(event.sublabel)) + 8
        left = min(max(x - width / 2, 0), WIDTH - width)
        level = next((i for i, end in enumerate(level_ends) if end <= left), len(level_ends))
        if level == MAX_LEVELS:
            placed.append(_Placed(event, x, None, x, x))
            continue
        if level == len(level_ends):
            level_ends.append(0.0)
        level_ends[level] = left + width
        placed.append(_Placed(event, x, level, left, left + width))
    years = [(x_of(dt.date(y, 1, 1)), str(y)) for y in range(start.year, end.year + 1)]
    return placed, years, len(level_ends)


def _note(placed: list[_Placed]) -> str | None:
    """What the figure says of the meetings it marks without a label, if any."""
    labelled = sum(p.level is not None for p in placed)
    if labelled == len(placed):
        return None
    return f"Labels for {labelled} of {len(placed)} meetings; every meeting is marked on the axis."


def _height(levels: int, note: str | None) -> float:
    return AXIS_Y + 24 + levels * LEVEL_HEIGHT + (NOTE_HEIGHT if note else 0)


def describe(events: list[Event]) -> str:
    """What the figure shows, in words: its alternative text (the PDF's /Alt, a screen reader's)."""
    if not events:
        return "Timeline of meetings: none in this selection."
    ordered = sorted(events, key=lambda e: e.day)
    first, last = ordered[0].day, ordered[-1].day
    marks = "; ".join(f"{e.label}, {e.sublabel}" for e in ordered)
    count = f"{len(ordered)} meeting{'s' if len(ordered) != 1 else ''}"
    return f"Timeline of {count} from {first.year} to {last.year}: {marks}."


def svg(events: list[Event], accent: str = "#1F3A5F", muted: str = "#5A6270") -> Markup:
    """An inline SVG (vector, sharp at any zoom) with one marker per event, labels never overlapping."""
    placed, years, levels = _layout(events)
    axis_y, note = AXIS_Y, _note(placed)
    height = _height(levels, note)
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="timeline-svg" viewBox="0 0 {WIDTH:.0f} {height:.0f}" '
        # A figure, not an image: its markers are links a keyboard and a screen reader reach.
        f'role="figure" aria-label="Timeline of meetings">',
        f"<title>{escape(describe(events))}</title>",
        f'<line x1="{AXIS_MARGIN}" y1="{axis_y}" x2="{WIDTH - AXIS_MARGIN}" y2="{axis_y}" '
        f'stroke="{muted}" stroke-width="1.2"/>',
    ]
    step = max(1, len(years) // 12)
    for index, (x, year) in enumerate(years):
        out.append(
            f'<line x1="{x:.1f}" y1="{axis_y - 4}" x2="{x:.1f}" y2="{axis_y + 4}" stroke="{muted}" stroke-width="1"/>'
        )
        if index % step == 0:
            out.append(
                f'<text x="{x:.1f}" y="{axis_y - 8}" {_TEXT} font-size="7.5" fill="{muted}">{year}</text>'
            )
    for p in placed:
        href = f'<a href="#{escape(p.event.anchor)}">'
        if p.level is None:
            out.append(
                f'{href}<circle cx="{p.x:.1f}" cy="{axis_y}" r="4" fill="{accent}">'
                f"<title>{escape(p.event.label)}, {escape(p.event.sublabel)}</title></circle></a>"
            )
            continue
        y = axis_y + 22 + p.level * LEVEL_HEIGHT
        centre = (p.left + p.right) / 2
        out.append(
            f'<line x1="{p.x:.1f}" y1="{axis_y}" x2="{centre:.1f}" y2="{y - 9}" stroke="#A0A7B2" stroke-width="0.8"/>'
        )
        out.append(f'<circle cx="{p.x:.1f}" cy="{axis_y}" r="4" fill="{accent}"/>')
        out.append(
            f'{href}<text x="{centre:.1f}" y="{y}" {_TEXT} font-size="9" fill="#1A1A1A">'
            f"{escape(p.event.label)}</text>"
            f'<text x="{centre:.1f}" y="{y + 10}" {_TEXT} font-size="7.5" fill="{muted}">{escape(p.event.sublabel)}</text></a>'
        )
    if note:
        out.append(
            f'<text x="{WIDTH / 2:.1f}" y="{height - 4:.1f}" {_TEXT} font-size="7.5" font-style="italic" '
            f'fill="{muted}">{escape(note)}</text>'
        )
    out.append("</svg>")
    return Markup("\n".join(out))


@lru_cache(maxsize=4)
def _font_file(family: str) -> str | None:
    if not shutil.which("fc-match"):
        return None
    found = subprocess.run(
        ["fc-match", "-f", "%{file}", family], capture_output=True, text=True, check=False
    ).stdout.strip()
    return found or None


def png(events: list[Event], dpi: int = 300, accent: str = "#1F3A5F") -> bytes:
    """The same figure as a PNG at print resolution (for Word, which needs a raster image)."""
    from PIL import Image, ImageDraw, ImageFont

    placed, years, levels = _layout(events)
    scale = dpi / 96
    axis_y, note = AXIS_Y, _note(placed)
    height = _height(levels, note)
    image = Image.new("RGB", (int(WIDTH * scale), int(height * scale)), "white")
    draw = ImageDraw.Draw(image)
    font_path = _font_file("Noto Sans")
    size = int(9 * scale)
    font: ImageFont.FreeTypeFont | ImageFont.ImageFont
    small: ImageFont.FreeTypeFont | ImageFont.ImageFont
    if font_path:
        font = ImageFont.truetype(font_path, size)
        small = ImageFont.truetype(font_path, int(7.5 * scale))
    else:
        font = small = ImageFont.load_default()
    grey = "#5A6270"

    def s(value: float) -> float:
        return value * scale

    draw.line(
        [(s(AXIS_MARGIN), s(axis_y)), (s(WIDTH - AXIS_MARGIN), s(axis_y))],
        fill=grey,
        width=int(s(1.2)),
    )
    step = max(1, len(years) // 12)
    for index, (x, year) in enumerate(years):
        draw.line([(s(x), s(axis_y - 4)), (s(x), s(axis_y + 4))], fill=grey, width=int(s(1)))
        if index % step == 0:
            draw.text((s(x), s(axis_y - 8)), year, font=small, fill=grey, anchor="ms")
    r = s(4)
    for p in placed:
        if p.level is not None:
            y = axis_y + 22 + p.level * LEVEL_HEIGHT
            centre = (p.left + p.right) / 2
            line = [(s(p.x), s(axis_y)), (s(centre), s(y - 9))]
            draw.line(line, fill="#A0A7B2", width=int(s(0.8)))
            draw.text((s(centre), s(y)), p.event.label, font=font, fill="#1A1A1A", anchor="ms")
            draw.text((s(centre), s(y + 10)), p.event.sublabel, font=small, fill=grey, anchor="ms")
        draw.ellipse([s(p.x) - r, s(axis_y) - r, s(p.x) + r, s(axis_y) + r], fill=accent)
    if note:
        draw.text((s(WIDTH / 2), s(height - 4)), note, font=small, fill=grey, anchor="ms")
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", dpi=(dpi, dpi), optimize=False)
    return buffer.getvalue()
