"""The project: ``project.yaml`` (the relationship it briefs on) and its countries registry."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError

from ijbrief.corpus.model import Countries, Country, ProjectSpec, ScriptSpec
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


@dataclass(frozen=True)
class ScriptInfo:
    """A script the documents render: its language tag, ISO 15924 code, name, the characters
    that reveal it, its fonts and the Debian package that has them."""

    lang: str
    code: str
    name: str
    chars: str  # a regular-expression character class body
    sans: str
    serif: str
    package: str


# Languages whose fonts ijbrief knows; a project may declare any other with its fonts.
KNOWN_SCRIPTS = {
    s.lang: s
    for s in (
        ScriptInfo("hi", "Deva", "Devanagari", "\u0900-\u097f", "Noto Sans Devanagari",
                   "Noto Serif Devanagari", "fonts-noto-core"),
        ScriptInfo("ja", "Jpan", "Japanese", "\u3040-\u30ff\u31f0-\u31ff\u4e00-\u9fff",
                   "Noto Sans CJK JP", "Noto Serif CJK JP", "fonts-noto-cjk"),
        ScriptInfo("ko", "Kore", "Korean (Hangul)", "\uac00-\ud7af\u1100-\u11ff\u3130-\u318f",
                   "Noto Sans CJK KR", "Noto Serif CJK KR", "fonts-noto-cjk"),
        ScriptInfo("zh", "Hans", "Chinese", "\u4e00-\u9fff", "Noto Sans CJK SC",
                   "Noto Serif CJK SC", "fonts-noto-cjk"),
        ScriptInfo("th", "Thai", "Thai", "\u0e00-\u0e7f", "Noto Sans Thai", "Noto Serif Thai",
                   "fonts-noto-core"),
        ScriptInfo("ar", "Arab", "Arabic", "\u0600-\u06ff", "Noto Sans Arabic",
                   "Noto Naskh Arabic", "fonts-noto-core"),
        ScriptInfo("bn", "Beng", "Bengali", "\u0980-\u09ff", "Noto Sans Bengali",
                   "Noto Serif Bengali", "fonts-noto-core"),
        ScriptInfo("ta", "Taml", "Tamil", "\u0b80-\u0bff", "Noto Sans Tamil", "Noto Serif Tamil",
                   "fonts-noto-core"),
    )
}  # fmt: skip


def script_info(entry: str | ScriptSpec) -> ScriptInfo:
    """A declared script with what the table knows of it, the declaration's own fonts first."""
    spec = entry if isinstance(entry, ScriptSpec) else ScriptSpec(lang=entry)
    base = KNOWN_SCRIPTS.get(spec.lang) or KNOWN_SCRIPTS.get(spec.lang.split("-")[0])
    sans = spec.sans or (base.sans if base else spec.serif or "")
    return ScriptInfo(
        lang=spec.lang,
        code=spec.script or (base.code if base else ""),
        name=base.name if base else spec.lang,
        chars=base.chars if base else "",
        sans=sans,
        serif=spec.serif or (base.serif if base else sans),
        package=base.package if base else "",
    )


def declared_scripts(spec: ProjectSpec) -> list[ScriptInfo]:
    """The scripts a project declares, resolved."""
    return [script_info(entry) for entry in spec.scripts]


def script_pattern(info: ScriptInfo) -> re.Pattern[str] | None:
    """The characters that reveal the script in a text, when known."""
    return re.compile(f"[{info.chars}]") if info.chars else None
