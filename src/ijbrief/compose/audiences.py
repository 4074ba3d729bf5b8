"""Audiences: find them, read their audience.yaml (with inheritance), scaffold derived ones."""

from __future__ import annotations

import difflib
import math
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    model_validator,
)

from ijbrief.corpus.model import Sensitivity
from ijbrief.corpus.project import BUILTIN_TEMPLATES as BUILTIN_TEMPLATES
from ijbrief.corpus.yamlio import Document, load, os_reason
from ijbrief.errors import Location, Problem, TemplateError, relative

BUILTIN_AUDIENCES = ("analyst", "minister", "student")


BASE = "base"
AUDIENCE_FILE = "audience.yaml"

DocKind = Literal["meeting", "agreement"]
MEETING_SECTIONS = (
    "bottom-line", "talking-points", "to-raise", "to-avoid", "participants", "outcomes",
    "key-points", "quotes", "agreements", "changes", "background", "significance",
    "way-forward", "glossary", "syllabus", "prelims", "practice", "sources",
)  # fmt: skip
# The dossier's "Changes since <date>" part (build --since-edition); an audience hides it as it
# hides a section.
SINCE_EDITION = "since-edition"
AGREEMENT_SECTIONS = (
    "purpose", "status", "meetings", "key-points", "to-raise", "to-avoid", "background",
    "significance", "way-forward", "glossary", "sources",
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


# WCAG 2.1 AA: text needs a contrast of 4.5:1 with its background. The accent is text on white
# (headings, labels) and the background of white text (a dossier's cover); the muted colour is
# small text on white.
MIN_CONTRAST = 4.5


def contrast_with_white(colour: str) -> float:
    """The WCAG contrast ratio of ``colour`` (#RRGGBB) with white."""

    def linear(pair: str) -> float:
        value = int(pair, 16) / 255
        return value / 12.92 if value <= 0.04045 else ((value + 0.055) / 1.055) ** 2.4

    red, green, blue = (linear(colour[i : i + 2]) for i in (1, 3, 5))
    return 1.05 / (0.2126 * red + 0.7152 * green + 0.0722 * blue + 0.05)


def legible(colour: str) -> str:
    """``colour`` if text in it (or white text on it) is legible, else the lightest darker shade
    of it, of the same hue, that is: a project's light brand colour still marks its documents."""
    if contrast_with_white(colour) >= MIN_CONTRAST:
        return colour
    channels = [int(colour[i : i + 2], 16) for i in (1, 3, 5)]
    for percent in range(99, 0, -1):
        shade = "#" + "".join(f"{round(c * percent / 100):02X}" for c in channels)
        if contrast_with_white(shade) >= MIN_CONTRAST:
            return shade
    return "#000000"


Colour = Annotated[str, Field(pattern=r"^#[0-9A-Fa-f]{6}$"), AfterValidator(legible)]


class Branding(_Strict):
    """Colours, fonts and logo: all the look an audience can change without editing a template.
    A colour too light for text on white is darkened until it is legible (`check` says so)."""

    accent: Colour = "#1F3A5F"
    muted: Colour = "#5A6270"
    body_font: FontName = "Noto Serif"
    heading_font: FontName = "Noto Sans"
    base_size_pt: Number = Field(default=10.0, ge=7, le=14)
    logo: str | None = Field(default=None, description="image file in the audience folder")


# Each type scale tried is one layout of the brief: a few tenths of a second each.
MAX_SCALES = 25


class Fit(_Strict):
    """Bounds for the one-page fit: the smallest type scale to try and the step between tries."""

    min_scale: Number = Field(default=0.86, ge=0.6, le=1.0)
    step: Number = Field(default=0.07, ge=0.01, le=0.3)

    @model_validator(mode="after")
    def _few_layouts(self) -> Fit:
        tries = math.ceil(round((1.0 - self.min_scale) / self.step, 6)) + 1
        if tries > MAX_SCALES:
            least = (1.0 - self.min_scale) / (MAX_SCALES - 1)
            raise ValueError(
                f"min_scale {self.min_scale} with step {self.step} means {tries} layouts of "
                f"every brief; at most {MAX_SCALES}: use a step of at least {least:.3f}"
            )
        return self


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
    show_source_gaps: bool = Field(
        default=True,
        description="print the notes on what the sources leave out ('no exact date is "
        "reported', the table of marked items' bases): advice for analysts, not for a minister",
    )

    def problems(self) -> list[tuple[tuple[str | int, ...], str]]:
        """What is wrong with the sections and hidden sections, each at the place that says it:
        (path in audience.yaml, message)."""
        found: list[tuple[tuple[str | int, ...], str]] = []
        where: tuple[str | int, ...]
        every = (*MEETING_SECTIONS, *AGREEMENT_SECTIONS, SINCE_EDITION)
        for kind, known in (("meeting", MEETING_SECTIONS), ("agreement", AGREEMENT_SECTIONS)):
            listed = self.sections.get(kind)  # type: ignore[call-overload]
            if not listed:
                found.append((("sections",), f"sections.{kind} is missing"))
                continue
            seen: set[str] = set()
            for index, section in enumerate(listed):
                where = ("sections", kind, index, "id")
                if section.id not in known:
                    hint = suggestion(section.id, list(known))
                    found.append(
                        (where, f"unknown {kind} section {section.id!r}{hint} (known: "
                         f"{', '.join(known)})")
                    )  # fmt: skip
                elif section.id in seen:
                    found.append((where, f"section {section.id!r} is listed twice"))
                seen.add(section.id)
            # Citations are numbered as the page is read, so the list of sources comes last.
            if listed[-1].id != "sources":
                found.append(
                    (("sections", kind, len(listed) - 1), f"sections.{kind}: 'sources' must be "
                     "the last section")
                )  # fmt: skip
        for index, hidden in enumerate(self.hide_sections):
            where = ("hide_sections", index)
            if hidden == "sources":
                found.append((where, "'sources' cannot be hidden: citations point to it"))
            elif hidden not in every:
                hint = suggestion(hidden, list(every))
                found.append((where, f"unknown section {hidden!r}{hint}"))
        return found

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


# What a folder of templates/ may be called to be an audience (`templates new` asks for less).
NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")


def inside_templates(path: Path, project: Path) -> bool:
    """Whether ``path`` (a link is followed) lies inside a templates folder."""
    try:
        real = path.resolve()
    except (RuntimeError, OSError):  # a symbolic link loop: reading it says so
        return True
    return any(real.is_relative_to(root) for root in template_roots(project))


def holds_spec(folder: Path) -> bool:
    """Whether ``folder`` has an audience.yaml (which may yet be unreadable: loading it says
    why); TemplateError when the folder cannot be looked into."""
    try:
        os.lstat(folder / AUDIENCE_FILE)
    except (FileNotFoundError, NotADirectoryError):
        return False
    except OSError as exc:
        raise TemplateError(
            [Problem(Location(f"templates/{folder.name}"), f"cannot read: {os_reason(exc)}")]
        ) from None
    return True


def _folders(project: Path, name: str) -> list[Path]:
    return [root / name for root in template_roots(project) if (root / name).is_dir()]


def _origin(project: Path, name: str) -> str:
    folders = _folders(project, name)
    in_builtin = name in BUILTIN_AUDIENCES and (BUILTIN_TEMPLATES.resolve() / name).is_dir()
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

    if not inside_templates(path, project):
        raise TemplateError(
            [Problem(Location(display), "refused: it leads outside the templates folders")]
        )
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
    admits: Any = None
    while current is not None:
        if current in chain:
            message = f"audience {name!r}: 'extends' loops through {current!r}"
            raise TemplateError([Problem(docs[-1].locate(("extends",)), message)])
        # A name is a folder of templates/: never `..`, a path or anything odd.
        valid = NAME.fullmatch(current) is not None
        if not valid and docs:
            raise TemplateError(
                [Problem(docs[-1].locate(("extends",)), f"{current!r} is not an audience name "
                         "(letters, digits, hyphens and underscores)")]
            )  # fmt: skip
        folders = _folders(project, current) if valid else []
        if not folders or current == BASE:
            names = audience_names(project)
            message = f"unknown audience {current!r}{suggestion(current, names)} (known: "
            message += f"{', '.join(names) or 'none'})"
            raise TemplateError(
                [Problem(docs[-1].locate(("extends",)), message)] if docs else message
            )
        chain.append(current)
        spec_folder = next((f for f in folders if holds_spec(f)), None)
        if spec_folder is None:
            raise TemplateError(
                [Problem(Location(f"templates/{current}/{AUDIENCE_FILE}"), "file is missing")]
            )
        own, doc = _read_spec(spec_folder, project)
        if not docs:
            admits = own.get("admits")
        docs.append(doc)
        data = _merge(own, data)
        parent = own.get("extends")
        if parent is not None and not isinstance(parent, str):
            raise TemplateError(
                [Problem(doc.locate(("extends",)), "extends: the name of an audience, as text")]
            )
        current = parent
    data["extends"] = chain[1] if len(chain) > 1 else None
    # What an audience may see is never inherited: a press edition derived from the minister's
    # must not show restricted items because the minister may. Unsaid, it is public only.
    data.pop("admits", None)
    if admits is not None:
        data["admits"] = admits
    try:
        spec = AudienceSpec.model_validate(data)
    except ValidationError as exc:
        raise TemplateError(_located(exc, docs)) from None
    if found := spec.problems():
        raise TemplateError([Problem(_where(docs, loc), message) for loc, message in found])
    from ijbrief.corpus.project import dossier_title, read_project

    title = dossier_title(spec.dossier.title, read_project(project))
    if title != spec.dossier.title:
        spec = spec.model_copy(update={"dossier": spec.dossier.model_copy(update={"title": title})})
    folders_chain = tuple(f for audience in chain for f in _folders(project, audience))
    base_folders = tuple(_folders(project, BASE))
    return Audience(name, spec, folders_chain + base_folders, _origin(project, name))


def _located(exc: ValidationError, docs: list[Document]) -> list[Problem]:
    """pydantic's errors as problems at the place in the audience files that each is about."""
    problems = []
    for error in exc.errors(include_url=False):
        loc = tuple(error["loc"])
        if error["type"] == "extra_forbidden":
            key = str(loc[-1])
            hint = suggestion(key, _keys_at(loc[:-1]))
            problems.append(Problem(_where(docs, loc, key=True), f"unknown key {key!r}{hint}"))
            continue
        if error["type"] == "missing":
            where = f"{'.'.join(map(str, loc[:-1]))}: " if loc[:-1] else ""
            message = f"{where}missing required key {str(loc[-1])!r}"
            problems.append(Problem(_where(docs, loc[:-1]), message))
            continue
        message = error["msg"].removeprefix("Value error, ")
        dotted = ".".join(map(str, loc))
        problems.append(Problem(_where(docs, loc), f"{dotted}: {message}" if dotted else message))
    return problems


def _where(docs: list[Document], loc: tuple[Any, ...], *, key: bool = False) -> Location:
    """The place of ``loc`` in the first file of the chain that says the most of it (the
    audience's own file comes first; what it says replaces what it inherits)."""
    best, depth = docs[0], -1
    for doc in docs:
        node, reached = doc.data, 0
        for part in loc:
            in_dict = isinstance(node, dict) and part in node
            in_list = isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node)
            if not (in_dict or in_list):
                break
            node = node[part]
            reached += 1
        if reached > depth:
            best, depth = doc, reached
    return best.locate(loc, key=key)


def _keys_at(loc: tuple[Any, ...]) -> list[str]:
    """The keys audience.yaml allows at ``loc``, for suggesting a fix to a typo."""
    model: Any = AudienceSpec
    for part in loc:
        if isinstance(part, int) or part in ("meeting", "agreement"):
            continue
        info = model.model_fields.get(part) if hasattr(model, "model_fields") else None
        if info is None:
            return []
        model = next((a for a in (info.annotation, *_args(info.annotation)) if _is_model(a)), None)
    return list(model.model_fields) if _is_model(model) else []


def _args(annotation: Any) -> list[Any]:
    found = []
    for arg in getattr(annotation, "__args__", ()):
        found += [arg, *_args(arg)]
    return found


def _is_model(value: Any) -> bool:
    return isinstance(value, type) and issubclass(value, BaseModel)


def suggestion(word: str, options: list[str]) -> str:
    """``; did you mean 'x'?`` for the option closest to a mistyped ``word``, or nothing."""
    close = difflib.get_close_matches(word, options, n=1)
    return f"; did you mean {close[0]!r}?" if close else ""


def audience_names(project: Path) -> list[str]:
    """The names of every audience available to the project, built-in and its own, sorted."""
    names: set[str] = set()
    for root in template_roots(project):
        try:
            children = list(root.iterdir()) if root.is_dir() else []
        except OSError as exc:
            raise TemplateError(
                [Problem(Location(relative(root, project)), f"cannot read: {os_reason(exc)}")]
            ) from None
        names |= {
            child.name
            for child in children
            if child.is_dir() and child.name != BASE and holds_spec(child)
        }
    return sorted(names)


def discover(project: Path) -> list[Audience]:
    """Every audience available to the project, built-in and its own, sorted by name."""
    return [load_audience(project, name) for name in audience_names(project)]


def chain(project: Path, name: str) -> list[str]:
    """Lines describing where each template of an audience comes from, in lookup order."""
    audience = load_audience(project, name)
    lines = [f"{audience.name}: {audience.label} ({audience.origin})"]
    if audience.spec.extends:
        lines.append(f"extends: {audience.spec.extends}")
    lines.append(f"admits: {', '.join(audience.spec.admits)}")
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
admits: [{admits}]{admits_pad}# what it may see; never inherited (unsaid: [public])
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
# dossier: {{title: "{{project}}: {name} dossier"}}  # {{project}}: project.yaml's dossier_title
"""

_TEMPLATE_NOTE = """\
{{#- Override a block of the {base} audience's meeting brief here, for example:
{{% extends "{base}/brief-meeting.html.j2" %}}
{{% block bottom_line %}}<p class="bottom-line">{{{{ brief.summary.html }}}}</p>{{% endblock %}}
Blocks: masthead, bottom_line, talking_points, to_raise, to_avoid, participants, outcomes,
key_points, quotes, agreements, changes, background, significance, way_forward, glossary,
sources, footer. Rename this file to brief-meeting.html.j2 to use it. -#}}
"""


def create(
    project: Path, name: str, base: str, admits: Sequence[Sensitivity] = ("public",)
) -> Path:
    """Create ``templates/<name>/`` inheriting everything from ``base`` but what it admits
    (``admits``, written into its audience.yaml); return the folder."""
    if not re.fullmatch(r"[a-z][a-z0-9-]{0,30}", name) or name == BASE:
        raise TemplateError(f"audience name {name!r}: use lower-case letters, digits, hyphens")
    load_audience(project, base)
    folder = project / "templates" / name
    if folder.exists():
        raise TemplateError(f"templates/{name} already exists")
    folder.mkdir(parents=True)
    label = f"{name.replace('-', ' ').title()} brief"
    listed = ", ".join(dict.fromkeys(admits))
    (folder / AUDIENCE_FILE).write_text(
        _DERIVED.format(
            name=name,
            base=base,
            label=label,
            upper=name.upper(),
            admits=listed,
            admits_pad=" " * max(1, 34 - len(listed)),
        ),
        encoding="utf-8",
    )
    (folder / "brief-meeting.html.j2.example").write_text(
        _TEMPLATE_NOTE.format(base=base), encoding="utf-8"
    )
    return folder
