"""A brand colour too light for text on white is darkened in the documents, and `check` says so
at the line of the audience file that sets it."""

from __future__ import annotations

import re
from pathlib import Path

from tests.conftest import copy_project

from ijbrief.build.template_check import check_templates
from ijbrief.compose import audiences
from ijbrief.compose.audiences import MIN_CONTRAST, contrast_with_white, legible


def test_a_light_colour_is_darkened_to_the_nearest_legible_shade() -> None:
    assert legible("#1F3A5F") == "#1F3A5F"  # the built-in accents pass as they are
    shade = legible("#F4B400")
    assert contrast_with_white(shade) >= MIN_CONTRAST > contrast_with_white("#F4B400")
    assert contrast_with_white(shade) < MIN_CONTRAST + 0.2  # no darker than it needs to be
    red, green, blue = (int(shade[i : i + 2], 16) for i in (1, 3, 5))
    assert red > green > blue == 0  # the same hue, an amber still


def test_check_warns_at_the_line_that_sets_a_light_accent(tmp_path: Path) -> None:
    root = copy_project(tmp_path / "project")
    folder = audiences.create(root, "brand", "analyst")
    spec = folder / "audience.yaml"
    spec.write_text(
        spec.read_text(encoding="utf-8") + 'branding:\n  accent: "#F4B400"\n', encoding="utf-8"
    )
    line = spec.read_text(encoding="utf-8").splitlines().index('  accent: "#F4B400"') + 1
    assert audiences.load_audience(root, "brand").spec.branding.accent == legible("#F4B400")
    found = [str(p) for p in check_templates(root, None) if "contrast" in p.message]
    assert len(found) == 1, found
    assert re.match(rf"templates/brand/audience\.yaml:{line}:\d+: ", found[0]), found[0]
    assert "#F4B400 has a contrast of 1.8:1" in found[0] and legible("#F4B400") in found[0]
