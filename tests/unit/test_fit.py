"""The one-page fit's search: from full size, or from where a brief fit last time, the same step."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from types import SimpleNamespace

import pytest

from ijbrief.compose.audiences import Fit, Section
from ijbrief.compose.fit import fit_one_page, scales
from ijbrief.errors import RenderError

FIT = Fit(min_scale=0.82, step=0.06)  # 1.0, 0.94, 0.88, 0.82
SECTIONS = [
    Section(id="summary", title="Summary", priority=100),
    Section(id="background", title="Background", priority=40, optional=True),
    Section(id="glossary", title="Glossary", priority=20, optional=True),
]


@dataclass
class Page:
    _page_box: object = field(default_factory=lambda: SimpleNamespace(children=[]))


@dataclass
class Layout:
    pages: list[Page]


def engine(room: float) -> tuple[list[str], object, object]:
    """A stand-in for the PDF engine: a page holds ``room`` units of text, each section is 1
    unit at full size, and smaller type takes less room. Records what it laid out."""
    laid_out: list[str] = []

    def render(sections: Sequence[Section], scale: float) -> str:
        return f"{len(sections)} {scale}"

    def layout(html: str) -> Layout:
        laid_out.append(html)
        count, scale = html.split()
        pages = 1 if int(count) * float(scale) ** 2 <= room else 2
        return Layout([Page() for _ in range(pages)])

    return laid_out, render, layout


def plan_length() -> int:
    return len(scales(FIT)) + 2  # then each optional section dropped


@pytest.mark.parametrize("room", [3.0, 2.7, 2.4, 2.1, 1.9, 1.5, 0.8])
def test_starting_anywhere_finds_the_step_a_search_from_full_size_finds(room: float) -> None:
    laid_out, render, layout = engine(room)
    first = fit_one_page("brief", SECTIONS, FIT, render, layout)  # type: ignore[arg-type]
    assert first.laid_out == first.layouts == len(laid_out)
    for start in range(1, plan_length() + 1):
        laid_out.clear()
        found = fit_one_page("brief", SECTIONS, FIT, render, layout, start=start)  # type: ignore[arg-type]
        assert (found.layouts, found.scale, found.dropped) == (
            first.layouts,
            first.scale,
            first.dropped,
        )
        assert found.laid_out == len(laid_out)
        if start == first.layouts:
            # Where it fit last time: that layout, and the one before it to show it is the first.
            assert found.laid_out == (1 if start == 1 else 2)


def test_a_brief_that_fits_nowhere_is_refused_from_any_start() -> None:
    _, render, layout = engine(0.5)
    for start in (1, 3, plan_length()):
        with pytest.raises(RenderError, match="does not fit one page"):
            fit_one_page("brief", SECTIONS, FIT, render, layout, start=start)  # type: ignore[arg-type]


def test_layouts_are_bounded_whatever_the_settings() -> None:
    """A fit that slipped past audience.yaml's bounds (a step of 1e-7 is 4,000,000 layouts)
    still lays a brief out a bounded number of times, then says it does not fit."""
    from ijbrief.compose.audiences import MAX_SCALES
    from ijbrief.compose.fit import MAX_LAYOUTS

    endless = Fit.model_construct(min_scale=0.6, step=0.0000001)
    assert len(scales(endless)) <= MAX_SCALES
    many = [Section(id=f"s{i}", title="S", priority=i, optional=True) for i in range(80)]
    laid_out, render, layout = engine(room=0.0)
    with pytest.raises(RenderError, match=r"does not fit|gave up"):
        fit_one_page("x", many, endless, render, layout)  # type: ignore[arg-type]
    assert len(laid_out) <= MAX_LAYOUTS


@pytest.mark.parametrize(
    ("fit", "message"),
    [
        ({"min_scale": 0.6, "step": 0.0000001}, "greater than or equal to 0.01"),
        ({"min_scale": 0.6, "step": 0.01}, "means 41 layouts of every brief; at most 25"),
    ],
)
def test_audience_yaml_holds_the_fit_to_few_layouts(fit: dict[str, float], message: str) -> None:
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match=message):
        Fit.model_validate(fit)
    assert len(scales(Fit(min_scale=0.6, step=0.0167))) <= 25
