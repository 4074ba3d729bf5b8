"""Audiences: find them, read their audience.yaml (with inheritance), scaffold derived ones."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, model_validator

from ijbrief.corpus.model import Sensitivity
from ijbrief.corpus.yamlio import Document, load
from ijbrief.errors import Location, Problem, TemplateError

BUILTIN_TEMPLATES = Path(__file__).resolve().parents[3] / "templates"
BASE = "base"
AUDIENCE_FILE = "audience.yaml"

DocKind = Literal["meeting", "agreement"]
MEETING_SECTIONS = (
    "bottom-line", "talking-points", "to-raise", "to-avoid", "participants", "outcomes",
    "key-points", "quotes", "agreements", "changes", "background", "significance",
    "way-forward", "glossary", "sources",
)  # fmt: skip
AGREEMENT_SECTIONS = (
    "purpose", "status", "meetings", "key-points", "background", "significance",
    "way-forward", "glossary", "sources",
)  # fmt: skip


def _number(value: Any) -> Any:
    """The YAML loader keeps decimals as text; accept plain decimal notation here."""
    if isinstance(value, str) and re.fullmatch(r"-?\d+(\.\d+)?", value):
        return float(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    return value


Number = Annotated[float, BeforeValidator(_number)]
FontName = Annotated[str, Field(pattern=r"^[A-Za-z0-9 ]{1,60}$")]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class Section(_Strict):
    """A section of a brief: its place comes from list order; priority decides what the fit drops."""

    id: str
    title: str
    priority: int = Field(default=50, ge=0, le=100)
    optional: bool = False
    limit: int | None = Field(default=None, ge=1, le=50, description="at most this many items")


class Branding(_Strict):
    """Colours, fonts and logo: all the look an audience can change without editing a template."""

    accent: str = Field(default="#1F3A5F", pattern=r"^#[0-9A-Fa-f]{6}$")
    muted: str = Field(default="#5A6270", pattern=r"^#[0-9A-Fa-f]{6}$")
    body_font: FontName = "Noto Serif"
    heading_font: FontName = "Noto Sans"
    base_size_pt: Number = Field(default=10.0, ge=7, le=14)
    logo: str | None = Field(default=None, description="image file in the audience folder")


class Fit(_Strict):
    """Bounds for the one-page fit: the smallest type scale to try and the step between tries."""

    min_scale: Number = Field(default=0.86, ge=0.6, le=1.0)
    step: Number = Field(default=0.07, gt=0.0, le=0.3)


DossierPart = Literal["overview", "chapters", "tracker", "topic-index", "glossary", "sources"]
DOSSIER_PARTS: tuple[DossierPart, ...] = (
    "overview", "chapters", "tracker", "topic-index", "glossary", "sources",
)  # fmt: skip


class DossierSpec(_Strict):
    """How the audience's dossier is titled and which parts it has."""

    title: Annotated[str, Field(min_length=1, max_length=120, pattern=r'^[^"\\\n]*$')]
    subtitle: str = ""
    parts: list[DossierPart] = Field(default_factory=lambda: list(DOSSIER_PARTS))


class AudienceSpec(_Strict):
    """The contents of ``templates/<name>/audience.yaml`` after inheritance is applied."""

    label: Annotated[str, Field(min_length=1, max_length=80, pattern=r'^[^"\\\n]*$')]
    description: str
    extends: str | None = None
    classification: Annotated[str, Field(min_length=1, max_length=120, pattern=r'^[^"\\\n]*$')]
    admits: list[Sensitivity] = Field(default_factory=lambda: list[Sensitivity](["public"]))
    sections: dict[DocKind, list[Section]]
    hide_sections: list[str] = Field(
        default_factory=list, description="section ids to leave out of every brief and chapter"
    )
    branding: Branding = Field(default_factory=Branding)
    fit: Fit = Field(default_factory=Fit)
    dossier: DossierSpec

    @model_validator(mode="after")
    def _known_sections(self) -> AudienceSpec:
        for kind, known in (("meeting", MEETING_SECTIONS), ("agreement", AGREEMENT_SECTIONS)):
            listed = self.sections.get(kind)  # type: ignore[call-overload]
            if not listed:
                raise ValueError(f"sections.{kind} is missing")
            ids = [s.id for s in listed]
            unknown = [i for i in ids if i not in known]
            if unknown:
                raise ValueError(
                    f"sections.{kind}: unknown section {unknown[0]!r} (known: {', '.join(known)})"
                )
            if len(set(ids)) != len(ids):
                raise ValueError(f"sections.{kind}: a section is listed twice")
            # Citations are numbered as the page is read, so the list of sources comes last.
            if ids[-1] != "sources" or "sources" in self.hide_sections:
                raise ValueError(f"sections.{kind}: 'sources' must be the last section")
        return self

    def visible_sections(self, kind: DocKind) -> list[Section]:
        """The sections of a kind of brief, in order, less those hidden."""
        return [s for s in self.sections[kind] if s.id not in self.hide_sections]


@dataclass(frozen=True)
class Audience:
    """A resolved audience: its spec and the folders its templates are looked up in, in order."""

    name: str
    spec: AudienceSpec
    folders: tuple[Path, ...]
    origin: str

    @property
    def label(self) -> str:
        return self.spec.label


def template_roots(project: Path) -> tuple[Path, ...]:
    """The templates folders: the project's own first, then the built-in one."""
    own = (project / "templates").resolve()
    builtin = BUILTIN_TEMPLATES.resolve()
    return (own,) if own == builtin else (own, builtin)


def _folders(project: Path, name: str) -> list[Path]:
    return [root / name for root in template_roots(project) if (root / name).is_dir()]


def _origin(project: Path, name: str) -> str:
    folders = _folders(project, name)
    in_builtin = (BUILTIN_TEMPLATES.resolve() / name).is_dir()
    if in_builtin and len(folders) > 1:
        return "project (overrides built-in)"
    return "built-in" if in_builtin else "project"


def _read_spec(folder: Path, project: Path) -> tuple[dict[str, Any], Document]:
    path = folder / AUDIENCE_FILE
    try:
        display = str(path.relative_to(project.resolve()))
    except ValueError:
        display = str(path)
    from ijbrief.errors import InputError

    try:
        doc = load(path, display)
    except InputError as exc:
        raise TemplateError(exc.problems) from None
    return doc.data, doc


def _merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """Mappings merge key by key; lists and values in ``override`` replace the base's."""
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def load_audience(project: Path, name: str) -> Audience:
    """Resolve an audience with everything it inherits; raise TemplateError with a location."""
    chain: list[str] = []
    data: dict[str, Any] = {}
    docs: list[Document] = []
    current: str | None = name
    while current is not None:
        if current in chain:
            raise TemplateError(f"audience {name!r}: 'extends' loops through {current!r}")
        folders = _folders(project, current)
        if not folders or current == BASE:
            known = ", ".join(a.name for a in discover(project)) or "none"
            raise TemplateError(f"unknown audience {current!r} (known: {known})")
        chain.append(current)
        spec_folder = next((f for f in folders if (f / AUDIENCE_FILE).is_file()), None)
        if spec_folder is None:
            raise TemplateError(
                [Problem(Location(f"templates/{current}/{AUDIENCE_FILE}"), "file is missing")]
            )
        own, doc = _read_spec(spec_folder, project)
        docs.append(doc)
        data = _merge(own, data)
        parent = own.get("extends")
        current = parent if isinstance(parent, str) else None
    data["extends"] = chain[1] if len(chain) > 1 else None
    try:
        spec = AudienceSpec.model_validate(data)
    except ValidationError as exc:
        problems = []
        for error in exc.errors(include_url=False):
            loc = tuple(error["loc"])
            doc = next((d for d in docs if _has(d.data, loc)), docs[0])
            problems.append(Problem(doc.locate(loc), f"{'.'.join(map(str, loc))}: {error['msg']}"))
        raise TemplateError(problems) from None
    folders_chain = tuple(f for audience in chain for f in _folders(project, audience))
    base_folders = tuple(_folders(project, BASE))
    return Audience(name, spec, folders_chain + base_folders, _origin(project, name))


def _has(data: Any, loc: tuple[Any, ...]) -> bool:
    for part in loc[:1]:
        return isinstance(data, dict) and part in data
    return False


def discover(project: Path) -> list[Audience]:
    """Every audience available to the project, built-in and its own, sorted by name."""
    names = sorted(
        {
            child.name
            for root in template_roots(project)
            if root.is_dir()
            for child in root.iterdir()
            if child.is_dir() and child.name != BASE and (child / AUDIENCE_FILE).is_file()
        }
    )
    return [load_audience(project, name) for name in names]


def chain(project: Path, name: str) -> list[str]:
    """Lines describing where each template of an audience comes from, in lookup order."""
    audience = load_audience(project, name)
    lines = [f"{audience.name}: {audience.label} ({audience.origin})"]
    if audience.spec.extends:
        lines.append(f"extends: {audience.spec.extends}")
    lines.append("lookup order:")
    lines += [f"  {folder}" for folder in audience.folders]
    lines.append("templates:")
    seen: set[str] = set()
    for folder in audience.folders:
        for path in sorted([*folder.glob("*.j2"), *folder.glob("*.css"), *folder.glob("*.docx")]):
            if path.name not in seen:
                seen.add(path.name)
                lines.append(f"  {path.name:<28} {folder}")
    return lines


_DERIVED = """\
# {name}: derived from {base}. It inherits everything; uncomment and change what you need.
extends: {base}
label: {label}
description: "A {name} edition derived from {base}."
# classification: "FOR {upper} USE"        # the banner on every page
# admits: [public]                          # sensitivity levels this audience may see
# branding:                                 # colours, fonts and logo (no template edit needed)
#   accent: "#7A1F1F"
#   body_font: Noto Serif
#   logo: logo.png                          # an image in this folder
# sections:                                 # order, priority and limits of what a brief shows
#   meeting:                                # (this replaces the whole list of the base)
#     - {{id: bottom-line, title: Bottom line, priority: 100}}
#     - {{id: talking-points, title: Talking points, priority: 90, limit: 5}}
#     - {{id: sources, title: Sources, priority: 100}}
# fit: {{min_scale: 0.86, step: 0.07}}      # how far the one-page fit may tighten type
# dossier: {{title: "India–Japan: {name} dossier"}}
"""

_TEMPLATE_NOTE = """\
{{#- Override a block of the {base} audience's meeting brief here, for example:
{{% extends "{base}/brief-meeting.html.j2" %}}
{{% block bottom_line %}}<p class="bottom-line">{{{{ brief.summary.html }}}}</p>{{% endblock %}}
Blocks: masthead, bottom_line, talking_points, to_raise, to_avoid, participants, outcomes,
key_points, quotes, agreements, changes, background, significance, way_forward, glossary,
sources, footer. Rename this file to brief-meeting.html.j2 to use it. -#}}
"""


def create(project: Path, name: str, base: str) -> Path:
    """Create ``templates/<name>/`` inheriting everything from ``base``; return the folder."""
    import re

    if not re.fullmatch(r"[a-z][a-z0-9-]{0,30}", name) or name == BASE:
        raise TemplateError(f"audience name {name!r}: use lower-case letters, digits, hyphens")
    load_audience(project, base)
    folder = project / "templates" / name
    if folder.exists():
        raise TemplateError(f"templates/{name} already exists")
    folder.mkdir(parents=True)
    label = f"{name.replace('-', ' ').title()} brief"
    (folder / AUDIENCE_FILE).write_text(
        _DERIVED.format(name=name, base=base, label=label, upper=name.upper()), encoding="utf-8"
    )
    (folder / "brief-meeting.html.j2.example").write_text(
        _TEMPLATE_NOTE.format(base=base), encoding="utf-8"
    )
    return folder
