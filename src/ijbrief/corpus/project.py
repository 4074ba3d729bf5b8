"""The project: ``project.yaml`` (the relationship it briefs on) and its countries registry."""

from __future__ import annotations

import functools
from pathlib import Path

from pydantic import ValidationError

from ijbrief.corpus.model import Countries, Country, ProjectSpec
from ijbrief.corpus.yamlio import load
from ijbrief.errors import InputError

PROJECT = Path("project.yaml")
COUNTRIES = Path("briefs/countries.yaml")
# A project made before project.yaml existed is read as the one ijbrief was first written for;
# the default lives with the built-in templates, as data, so that no country is named in code.
DEFAULT_FILE = "default-project.yaml"
NO_PROJECT_NOTE = (
    "not found; using the built-in default project ({title}). "
    "Write one with `ijbrief init --force .` or copy and edit the default"
)


def _builtin_templates() -> Path:
    """The built-in audiences: inside the installed package (a wheel carries them as
    ``ijbrief/templates``), else the source checkout's top-level templates/ where they are edited."""
    packaged = Path(__file__).resolve().parents[1] / "templates"
    return packaged if packaged.is_dir() else Path(__file__).resolve().parents[3] / "templates"


# Any other folder in templates/ is the project's own, even when the project is this repository
# (whose templates/ is the built-in folder).
BUILTIN_TEMPLATES = _builtin_templates()


def default_spec() -> ProjectSpec:
    """The project assumed when a folder has no project.yaml."""
    path = BUILTIN_TEMPLATES / DEFAULT_FILE
    return ProjectSpec.model_validate(load(path, str(path)).data)


def read_project(root: Path) -> ProjectSpec:
    """The project's spec for titles and metadata: its project.yaml, or the default when it has
    none or it does not validate (``ijbrief check`` reports why, with the line)."""
    path = root / PROJECT
    try:
        stat = path.stat()
    except OSError:
        return _cached(None, 0, 0)
    return _cached(str(path.resolve()), stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=8)
def _cached(path: str | None, mtime_ns: int, size: int) -> ProjectSpec:
    if path is None:
        return default_spec()
    try:
        return ProjectSpec.model_validate(load(Path(path), str(PROJECT)).data)
    except (InputError, ValidationError):
        return default_spec()


def fallback_countries(spec: ProjectSpec) -> Countries:
    """The countries of a project without briefs/countries.yaml: its parties."""
    return Countries(countries=[Country(id=p.id, name=p.name) for p in spec.parties])


def country_index(countries: Countries) -> dict[str, Country]:
    """Each country by every spelling a record may use for it: id, name and short name."""
    index: dict[str, Country] = {}
    for country in countries.countries:
        for key in (country.id, country.name, country.short_name):
            if key:
                index.setdefault(key, country)
    return index


def dossier_title(title: str, spec: ProjectSpec) -> str:
    """An audience's dossier title with ``{project}`` filled in."""
    return title.replace("{project}", spec.dossier_title or spec.title)


def party_names(spec: ProjectSpec) -> list[str]:
    """The parties' display names, for document keywords."""
    return [p.name for p in spec.parties]
