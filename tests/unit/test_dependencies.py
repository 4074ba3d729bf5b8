"""The dependency bounds can be trusted: each lower bound is what CI tests at (constraints-min.txt),
the libraries whose internals ijbrief reaches into are capped at the newest version tested
(constraints.txt), and a deprecation in ijbrief or an engine fails the tests."""

from __future__ import annotations

import tomllib
import warnings
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.version import Version

REPO = Path(__file__).resolve().parents[2]
# Their internals are touched (WeasyPrint's fetcher classes and laid-out pages, Jinja's contexts
# and blocks, python-docx's numbering parts), with the part of the version each bumps for a
# release that may change them: WeasyPrint's major, the others' minor.
CAPPED = {"weasyprint": 0, "jinja2": 1, "python-docx": 1}


def requirements() -> dict[str, Requirement]:
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    found = [Requirement(text) for text in project["dependencies"]]
    return {requirement.name.lower().replace("_", "-"): requirement for requirement in found}


def pins(name: str) -> dict[str, Version]:
    found = {}
    for line in (REPO / name).read_text(encoding="utf-8").splitlines():
        line = line.partition("#")[0].strip()
        if line:
            package, _, version = line.partition("==")
            found[package.strip().lower().replace("_", "-")] = Version(version.strip())
    return found


def test_every_lower_bound_is_pinned_for_the_minimum_run() -> None:
    minimum = pins("constraints-min.txt")
    for name, requirement in requirements().items():
        lower = [s for s in requirement.specifier if s.operator == ">="]
        assert len(lower) == 1, f"{name} has no lower bound"
        assert minimum.get(name) == Version(lower[0].version), (
            f"constraints-min.txt must pin {name} at its lower bound {lower[0].version}"
        )
    assert set(minimum) == set(requirements())


def test_the_libraries_whose_internals_are_touched_are_capped_at_the_tested_version() -> None:
    tested = pins("constraints.txt")
    found = requirements()
    for name, part in CAPPED.items():
        specifier, version = found[name].specifier, tested[name]
        assert specifier.contains(version), (name, version)
        release = [*version.release, 0, 0][: part + 1]
        release[part] += 1
        assert not specifier.contains(Version(".".join(map(str, release)))), (
            f"{name} is not capped below the release after the tested {version}"
        )


def test_every_pinned_version_satisfies_the_bounds() -> None:
    for pinned in ("constraints.txt", "constraints-min.txt"):
        versions = pins(pinned)
        for name, requirement in requirements().items():
            assert requirement.specifier.contains(versions[name]), (pinned, name, versions[name])


@pytest.mark.parametrize(
    "module", ["ijbrief.build.pipeline", "weasyprint.text.fonts", "docx.oxml", "jinja2"]
)
def test_a_deprecation_in_ijbrief_or_an_engine_fails_the_tests(module: str) -> None:
    with pytest.raises(DeprecationWarning):
        warnings.warn_explicit("going away", DeprecationWarning, "x.py", 1, module=module)


def test_a_deprecation_elsewhere_is_only_reported() -> None:
    with pytest.warns(DeprecationWarning):
        warnings.warn_explicit("going away", DeprecationWarning, "x.py", 1, module="elsewhere")
