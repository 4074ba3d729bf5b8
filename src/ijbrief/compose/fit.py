"""The one-page promise: lay out, tighten type within bounds, drop optional sections, or refuse."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from ijbrief.compose.audiences import MAX_SCALES, Fit, Section
from ijbrief.errors import RenderError


@dataclass
class Fitted:
    """The layout that fits, and the decisions taken to get there (recorded in the manifest):
    ``layouts`` is the step of the plan that fit, the layouts a search from full size makes;
    ``laid_out`` is how many this search made."""

    html: str
    document: Any
    scale: float
    sections: list[Section]
    dropped: list[str] = field(default_factory=list)
    layouts: int = 1
    laid_out: int = 1

    def decisions(self) -> dict[str, Any]:
        return {"scale": round(self.scale, 3), "dropped": self.dropped, "layouts": self.layouts}


# Whatever the settings say, a brief is laid out at most this many times (each layout takes a
# few tenths of a second); audience.yaml's `fit` is held to fewer type scales than this.
MAX_LAYOUTS = 60


def scales(fit: Fit) -> list[float]:
    """1.0, then smaller steps down to the audience's minimum scale (at most MAX_SCALES)."""
    out = [1.0]
    while len(out) < MAX_SCALES - 1 and out[-1] - fit.step >= fit.min_scale - 1e-9:
        out.append(round(out[-1] - fit.step, 4))
    if out[-1] > fit.min_scale + 1e-9:
        out.append(fit.min_scale)
    return out


def fit_one_page(
    name: str,
    sections: Sequence[Section],
    fit: Fit,
    render: Callable[[Sequence[Section], float], str],
    layout: Callable[[str], Any],
    start: int = 1,
) -> Fitted:
    """Find the first layout that is one page: full size first, tighter type next, then fewer
    optional sections (lowest priority first, at the tightest scale). Raise if none fits.

    Each step of that plan shows no more than the one before, so the steps that fit run from
    the first that does to the end. ``start`` is the step to try first (where this brief fit
    last time): if it fits, the steps before it are tried back to the first that does not; if
    not, the search goes on after it. The step found is the one a search from full size finds."""
    kept = list(sections)
    plan: list[tuple[float, list[Section], list[str]]] = [(s, kept, []) for s in scales(fit)]
    tightest = plan[-1][0]
    dropped: list[str] = []
    for section in sorted(
        (s for s in kept if s.optional), key=lambda s: (s.priority, -kept.index(s))
    ):
        dropped = [*dropped, section.id]
        plan.append((tightest, [s for s in kept if s.id not in dropped], dropped))
    laid_out = 0
    last: Any = None

    def attempt(step: int) -> Fitted | None:
        nonlocal laid_out, last
        scale, chosen, dropping = plan[step - 1]
        if laid_out >= MAX_LAYOUTS:
            raise RenderError(f"{name}: gave up fitting one page after {laid_out} layouts")
        html = render(chosen, scale)
        last = layout(html)
        laid_out += 1
        if len(last.pages) != 1:
            return None
        return Fitted(html, last, scale, list(chosen), list(dropping), step)

    step = min(max(start, 1), len(plan))
    found = attempt(step)
    while found is not None and step > 1 and (earlier := attempt(step - 1)) is not None:
        found, step = earlier, step - 1
    while found is None and step < len(plan):
        step += 1
        found = attempt(step)
    if found is not None:
        found.laid_out = laid_out
        return found
    raise RenderError(
        f"{name}: does not fit one page even at {tightest:.0%} type with every optional section "
        f"dropped: {len(last.pages)} pages, overflowing by {_overflow(last)}; shorten the text "
        "or mark more sections optional in audience.yaml"
    )


def _overflow(document: Any) -> str:
    """How much spills onto later pages, in millimetres of content on the last page."""
    last = document.pages[-1]
    bottom = 0.0
    top = None
    # WeasyPrint has no public API for the box tree; its first child is the root element's box.
    stack = list(last._page_box.children[:1])
    while stack:
        box = stack.pop()
        children = getattr(box, "children", None) or []
        if not children and getattr(box, "height", None):
            y = getattr(box, "position_y", 0.0)
            bottom = max(bottom, y + box.height)
            top = y if top is None else min(top, y)
        stack.extend(children)
    extra_pages = len(document.pages) - 2
    millimetres = max(0.0, bottom - (top or 0.0)) * 25.4 / 96
    return (
        f"{extra_pages} page(s) and {millimetres:.0f} mm"
        if extra_pages
        else f"{millimetres:.0f} mm"
    )
