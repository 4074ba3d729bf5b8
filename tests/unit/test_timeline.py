"""The timeline figure stays within half a page however many meetings it shows: labels take up
to MAX_LEVELS rows, and a meeting whose label finds no room is still marked, and linked."""

from __future__ import annotations

import datetime as dt
import io
import re

from PIL import Image

from ijbrief.compose.timeline import LEVEL_HEIGHT, MAX_LEVELS, Event, png, svg


def crowded(count: int) -> list[Event]:
    """Meetings a day apart: a label is as wide as a month, so they stack up."""
    first = dt.date(2020, 10, 1)
    return [
        Event(first + dt.timedelta(days=i), f"Meeting {i}", "Tokyo", f"m-{i}") for i in range(count)
    ]


def height_of(figure: str) -> float:
    found = re.search(r'viewBox="0 0 [\d.]+ ([\d.]+)"', figure)
    assert found
    return float(found[1])


def test_a_few_meetings_are_all_labelled() -> None:
    figure = str(svg(crowded(3)))
    assert figure.count("<circle") == 3
    assert all(f">Meeting {i}</text>" in figure for i in range(3))
    assert "Labels for" not in figure


def test_many_meetings_are_all_marked_and_linked_and_the_figure_stays_short() -> None:
    events = crowded(200)
    figure = str(svg(events))
    assert figure.count("<circle") == 200
    assert all(f'href="#m-{i}"' in figure for i in range(200))
    labelled = sum(f">Meeting {i}</text>" in figure for i in range(200))
    assert MAX_LEVELS <= labelled < 200
    assert f"Labels for {labelled} of 200 meetings" in figure
    # An unlabelled marker names its meeting where a browser shows it: on hover.
    assert "<title>Meeting 199, Tokyo</title>" in figure
    assert height_of(figure) <= 20 + 24 + MAX_LEVELS * LEVEL_HEIGHT + 14
    assert height_of(figure) == height_of(str(svg(crowded(2000))))


def test_the_word_figure_is_as_short() -> None:
    few, many = (Image.open(io.BytesIO(png(crowded(n), dpi=96))) for n in (MAX_LEVELS, 500))
    assert many.size[0] == few.size[0]
    assert many.size[1] <= few.size[1] + 14
