"""The Jinja environment: sandboxed, autoescaped, strict; templates found along an audience's chain."""

from __future__ import annotations

import os
import traceback
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import jinja2
from jinja2 import nodes
from jinja2.exceptions import SecurityError
from jinja2.sandbox import ImmutableSandboxedEnvironment

from ijbrief.compose.audiences import (
    BASE,
    BUILTIN_TEMPLATES,
    Audience,
    holds_spec,
    load_audience,
    template_roots,
)
from ijbrief.corpus.yamlio import os_reason, read_text
from ijbrief.errors import InputError, Location, Problem, TemplateError, relative

BUILTIN_PREFIX = "builtin:"
MAX_OUTPUT_CHARS = 20_000_000
MAX_TEMPLATE_BYTES = 1024 * 1024


class ChainLoader(jinja2.BaseLoader):
    """Find ``name`` in the audience's folders; ``<audience>/name`` and ``builtin:<audience>/name``
    reach one audience's own (or the built-in) file. Nothing outside the templates folders is read."""

    def __init__(self, project: Path, audience: Audience) -> None:
        self.project = project
        self.roots = template_roots(project)
        self.audience = audience

    def candidates(self, name: str) -> list[Path]:
        if name.startswith(BUILTIN_PREFIX):
            return [BUILTIN_TEMPLATES.resolve() / name.removeprefix(BUILTIN_PREFIX)]
        first, _, rest = name.partition("/")
        if rest and first == BASE:
            return [root / BASE / rest for root in self.roots]
        if rest and any(holds_spec(root / first) for root in self.roots):
            # Another audience's template, as that audience would resolve it (its own chain).
            return [folder / rest for folder in load_audience(self.project, first).folders]
        return [folder / name for folder in self.audience.folders]

    def get_source(
        self, environment: jinja2.Environment, template: str
    ) -> tuple[str, str, Callable[[], bool]]:
        parts = template.removeprefix(BUILTIN_PREFIX).split("/")
        if template.startswith("/") or "\\" in template or any(p in ("", ".", "..") for p in parts):
            raise TemplateError(f"template name {template!r} is not allowed (no '..' or '/')")
        for candidate in self.candidates(template):
            if not _present(candidate):
                continue
            display = _display(str(candidate), self.project)
            try:
                real = candidate.resolve()
            except (RuntimeError, OSError):  # a symbolic link loop
                real = candidate
            if not any(real.is_relative_to(root) for root in self.roots):
                raise TemplateError(
                    [Problem(Location(display), "refused: it leads outside the templates folders")]
                )
            try:
                source = read_text(real, display, MAX_TEMPLATE_BYTES)
                mtime = real.stat().st_mtime
            except InputError as exc:
                raise TemplateError(exc.problems) from None
            except OSError as exc:
                raise TemplateError(
                    [Problem(Location(display), f"cannot read: {os_reason(exc)}")]
                ) from None
            return source, str(real), _unchanged(real, mtime)
        raise jinja2.TemplateNotFound(template)


def _present(path: Path) -> bool:
    """Whether there is something at ``path``: a file, or a link or folder that reading will
    say is not one."""
    try:
        os.lstat(path)
    except (FileNotFoundError, NotADirectoryError):
        return False
    except OSError:
        return True
    return True


def _unchanged(path: Path, mtime: float) -> Callable[[], bool]:
    def unchanged() -> bool:
        try:
            return path.stat().st_mtime == mtime
        except OSError:
            return False

    return unchanged


# The last environment made for each project and audience, with the state of the templates it
# was made from: a long-lived process (build --watch, serve) compiles each template once.
_ENVIRONMENTS: dict[tuple[str, str], tuple[tuple[Any, ...], jinja2.Environment]] = {}


def make_environment(
    project: Path,
    audience: Audience,
    filters: Mapping[str, Any],
) -> jinja2.Environment:
    """A sandboxed environment for one audience: autoescape on, undefined variables are errors.
    Templates are anyone's to edit (a derived audience is a folder dropped in), so every
    attribute and call goes through the sandbox's own checks, as Jinja's fixes to it have them."""
    made_from = (audience, tuple(filters.items()), _templates_state(project))
    known = _ENVIRONMENTS.get((str(project), audience.name))
    if known is not None and known[0] == made_from:
        return known[1]
    env = ImmutableSandboxedEnvironment(
        loader=ChainLoader(project, audience),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        auto_reload=False,
    )
    env.filters.update(filters)
    _ENVIRONMENTS[(str(project), audience.name)] = (made_from, env)
    return env


def _templates_state(project: Path) -> tuple[tuple[str, int, int], ...]:
    """Every file a template could load, with its size and modification time."""
    state = []
    for root in template_roots(project):
        for path in sorted(root.rglob("*")):
            try:
                info = path.stat()
            except OSError:  # a loop or a dangling link: reading it through the loader says so
                state.append((str(path), -1, -1))
                continue
            state.append((str(path), info.st_size, info.st_mtime_ns))
    return tuple(state)


def _check_blocks(env: jinja2.Environment, name: str, project: Path) -> None:
    """A block that overrides nothing in the templates it extends is a typo: report it."""
    loader = env.loader
    assert loader is not None
    source, found, _ = loader.get_source(env, name)
    filename = found or name
    tree = env.parse(source, name, filename)
    extends = next(iter(tree.find_all(nodes.Extends)), None)
    if extends is None or not isinstance(extends.template, nodes.Const):
        return
    parent_name = str(extends.template.value)
    inherited: set[str] = set()
    current: str | None = parent_name
    seen = {name}
    while current:
        if current in seen:
            raise TemplateError(
                [
                    Problem(
                        Location(_display(filename, project), extends.lineno),
                        f"{current} extends itself",
                    )
                ]
            )
        seen.add(current)
        parent_source, parent_file, _ = loader.get_source(env, current)
        parent_tree = env.parse(parent_source, current, parent_file)
        inherited |= {block.name for block in parent_tree.find_all(nodes.Block)}
        parent_extends = next(iter(parent_tree.find_all(nodes.Extends)), None)
        current = (
            str(parent_extends.template.value)
            if parent_extends is not None and isinstance(parent_extends.template, nodes.Const)
            else None
        )
    for block in _outer_blocks(tree):
        if block.name not in inherited:
            known = ", ".join(sorted(inherited))
            raise TemplateError(
                [
                    Problem(
                        Location(_display(filename, project), block.lineno),
                        f"block {block.name!r} does not exist in {parent_name} (blocks: {known})",
                    )
                ]
            )


def _outer_blocks(node: nodes.Node) -> list[nodes.Block]:
    """Blocks not nested in another block: only these override; nested ones are new."""
    found: list[nodes.Block] = []
    for child in node.iter_child_nodes():
        if isinstance(child, nodes.Block):
            found.append(child)
        else:
            found += _outer_blocks(child)
    return found


def render(
    env: jinja2.Environment,
    name: str,
    context: Mapping[str, Any],
    project: Path,
) -> str:
    """Render a template; turn every template fault into a TemplateError at its file and line."""
    try:
        checked: set[str] = env.globals.setdefault("_ijbrief_checked", set())  # type: ignore[assignment]
        if name not in checked:
            _check_blocks(env, name, project)
            checked.add(name)
        template = env.get_template(name)
        pieces: list[str] = []
        size = 0
        for piece in template.generate(context):
            size += len(piece)
            if size > MAX_OUTPUT_CHARS:
                raise TemplateError(
                    f"{name}: output exceeds {MAX_OUTPUT_CHARS:,} characters; a loop runs away?"
                )
            pieces.append(piece)
        return "".join(pieces)
    except TemplateError:
        raise
    except jinja2.TemplateSyntaxError as exc:
        where = _display(exc.filename or name, project)
        raise TemplateError(
            [Problem(Location(where, exc.lineno or 0), f"syntax: {exc.message}")]
        ) from None
    except jinja2.TemplateNotFound as exc:
        raise TemplateError(
            _at_template_line(exc, project, f"template not found: {exc.name}")
        ) from None
    except SecurityError as exc:
        raise TemplateError(
            _at_template_line(exc, project, f"refused by the sandbox: {exc}")
        ) from None
    except jinja2.UndefinedError as exc:
        raise TemplateError(_at_template_line(exc, project, f"undefined: {exc.message}")) from None
    except RecursionError as exc:
        raise TemplateError(
            _at_template_line(exc, project, "recursion too deep (a macro or include calls itself?)")
        ) from None
    except MemoryError:
        raise
    except Exception as exc:  # a user's template can raise anything its filters and tests do
        raise TemplateError(
            _at_template_line(exc, project, f"{type(exc).__name__}: {exc}")
        ) from None


def _display(filename: str, project: Path) -> str:
    path = Path(filename)
    for root in (*template_roots(project), BUILTIN_TEMPLATES.resolve()):
        if path.is_relative_to(root):
            return str(Path("templates") / path.relative_to(root))
    return relative(path, project)


def _at_template_line(exc: BaseException, project: Path, message: str) -> list[Problem]:
    """Locate an error raised while rendering by the innermost template frame of its traceback."""
    frames = [
        (frame.f_code.co_filename, lineno)
        for frame, lineno in traceback.walk_tb(exc.__traceback__)
        if frame.f_code.co_filename.endswith((".j2", ".html", ".css"))
    ]
    if not frames:
        return [Problem(Location("templates"), message)]
    filename, line = frames[-1]
    return [Problem(Location(_display(filename, project), line), message)]
