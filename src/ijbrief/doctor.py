"""`ijbrief doctor`: check that this machine can build, and say what to install when it cannot.

Each check prints one line: ``ok``, ``warning`` (something optional is missing) or ``problem``
(building will fail or come out wrong), with the Debian package that fixes it.
"""

from __future__ import annotations

import contextlib
import ctypes.util
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

MIN_PYTHON = (3, 11)
MIN_PANGO = (1, 44)
TIMEOUT = 60

_LATIN = re.compile(r"[A-Za-z]")
# Scripts found by their characters even when project.yaml does not declare them (Han alone
# is not looked for: it is Japanese as much as Chinese).
_DETECTED = ("hi", "ja", "ko", "th", "ar", "bn", "ta")
_CSS_FAMILY = re.compile(r"font-family\s*:\s*([^;}]+)")
_QUOTED = re.compile(r"\"([^\"{}]+)\"|'([^'{}]+)'")


@dataclass(frozen=True)
class Check:
    """The outcome of one check."""

    status: str  # "ok", "warning" or "problem"
    what: str
    fix: str = ""

    def __str__(self) -> str:
        line = f"{self.status:<8} {self.what}"
        return f"{line}; on Debian: {self.fix}" if self.fix and self.status != "ok" else line


def _ok(what: str) -> Check:
    return Check("ok", what)


def _apt(*packages: str) -> str:
    return "sudo apt-get install " + " ".join(packages)


def check_python() -> Check:
    """Python 3.11 or later."""
    version = ".".join(str(part) for part in sys.version_info[:3])
    if sys.version_info[:2] >= MIN_PYTHON:
        return _ok(f"Python {version}")
    need = ".".join(map(str, MIN_PYTHON))
    return Check("problem", f"Python {version} is too old (need {need} or later)", _apt("python3"))


def _pango_version() -> tuple[int, int, int]:
    """Pango's version as WeasyPrint loads it (raises when WeasyPrint or Pango cannot load)."""
    from ijbrief.writers.probe import pango_version

    return pango_version()


def check_pango() -> Check:
    """WeasyPrint loads, with a Pango recent enough for it."""
    try:
        major, minor, micro = _pango_version()
    except Exception as exc:  # a missing library shows up as OSError, ImportError, ...
        reason = " ".join(str(exc).split())[:200] or type(exc).__name__
        return Check(
            "problem",
            f"WeasyPrint cannot load Pango ({reason})",
            _apt("libpango-1.0-0", "libpangoft2-1.0-0") + "; then: pip install weasyprint",
        )
    version = f"{major}.{minor}.{micro}"
    need = ".".join(map(str, MIN_PANGO))
    if (major, minor) < MIN_PANGO:
        return Check(
            "problem",
            f"Pango {version} is too old for WeasyPrint (need {need} or later)",
            _apt("libpango-1.0-0") + " from Debian 12 or later",
        )
    return _ok(f"Pango {version} (WeasyPrint needs {need} or later)")


def check_harfbuzz_subset() -> Check:
    """HarfBuzz's subsetter: optional, but WeasyPrint embeds fonts about 3x faster with it."""
    found = ctypes.util.find_library("harfbuzz-subset")
    if found:
        return _ok(f"HarfBuzz subset library ({found})")
    return Check(
        "warning",
        "HarfBuzz subset library not found: PDFs build about 3x slower",
        _apt("libharfbuzz-subset0"),
    )


def _run(command: list[str]) -> str | None:
    """A command's output, or None when it cannot run or fails."""
    path = shutil.which(command[0])
    if path is None:
        return None
    try:
        done = subprocess.run(
            [path, *command[1:]],
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
            check=False,
            errors="replace",
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout if done.returncode == 0 else None


def corpus_languages(root: Path) -> list[str]:
    """The languages (BCP 47 tags, as fontconfig's :lang= takes them) whose scripts the project
    declares in project.yaml or writes in briefs/ and seeds/ (Latin always)."""
    from ijbrief.corpus.project import (
        KNOWN_SCRIPTS,
        declared_scripts,
        read_project,
        script_pattern,
    )

    found = {"en"} | {info.lang for info in declared_scripts(read_project(root))}
    patterns = {
        lang: pattern
        for lang in _DETECTED
        if (pattern := script_pattern(KNOWN_SCRIPTS[lang])) is not None
    }
    for folder in ("briefs", "seeds"):
        base = root / folder
        if not base.is_dir():
            continue
        for path in sorted(base.rglob("*")):
            if path.suffix not in (".yaml", ".yml", ".txt") or not path.is_file():
                continue
            try:
                text = path.read_text(encoding="utf-8", errors="replace")
            except OSError:
                continue
            found |= {lang for lang, pattern in patterns.items() if pattern.search(text)}
    return sorted(found)


def check_languages(root: Path) -> Iterator[Check]:
    """One installed font at least for each script the project uses."""
    from ijbrief.corpus.project import script_info

    for lang in corpus_languages(root):
        info = script_info(lang) if lang != "en" else None
        script = info.name if info else "Latin"
        listing = _run(["fc-list", f":lang={lang}", "family"])
        if listing is None:
            yield Check("problem", "fontconfig's fc-list is missing", _apt("fontconfig"))
            return
        families = sorted({line.split(",")[0].strip() for line in listing.splitlines() if line})
        if families:
            shown = ", ".join(families[:3]) + (", …" if len(families) > 3 else "")
            yield _ok(f"{script} text ({lang}): {len(families)} font families, e.g. {shown}")
        else:
            package = info.package if info else "fonts-noto-core"
            yield Check(
                "problem",
                f"no font covers {script} text (:lang={lang}) used in the corpus",
                _apt(package)
                if package
                else f"install a font for {lang} and name it in "
                "project.yaml's scripts: (sans:, serif:)",
            )


def _css_families(folder: Path) -> set[str]:
    names: set[str] = set()
    for css in sorted(folder.rglob("*.css")):
        try:
            text = css.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        for declaration in _CSS_FAMILY.findall(text):
            names |= {a or b for a, b in _QUOTED.findall(declaration)}
    return names


def named_families(root: Path) -> tuple[list[str], list[Check]]:
    """Font families the audiences' branding and the stylesheets ask for."""
    from ijbrief.compose.audiences import BUILTIN_TEMPLATES, discover
    from ijbrief.errors import IjbriefError

    names = _css_families(BUILTIN_TEMPLATES)
    if (root / "templates").is_dir():
        names |= _css_families(root / "templates")
    notes: list[Check] = []
    try:
        for audience in discover(root):
            names |= {audience.spec.branding.body_font, audience.spec.branding.heading_font}
    except IjbriefError as exc:
        first = exc.problems[0] if exc.problems else "unknown problem"
        notes.append(
            Check("warning", f"audiences could not be read, so their fonts are unchecked: {first}")
        )
    return sorted(n.strip() for n in names if n.strip()), notes


def _package_for(family: str) -> str:
    if "CJK" in family:
        return "fonts-noto-cjk"
    if family.startswith("Noto"):
        return "fonts-noto-core"
    return f"a package providing {family!r} (see: apt-cache search {family.split()[0].lower()})"


def check_families(root: Path) -> Iterator[Check]:
    """Each named family is installed, not silently replaced by another."""
    families, notes = named_families(root)
    yield from notes
    for family in families:
        matched = _run(["fc-match", "-f", "%{family}", family])
        if matched is None:
            yield Check("problem", "fontconfig's fc-match is missing", _apt("fontconfig"))
            return
        got = [name.strip() for name in matched.split(",") if name.strip()]
        if family.casefold() in (name.casefold() for name in got):
            yield _ok(f'font "{family}"')
        else:
            instead = got[0] if got else "nothing"
            yield Check(
                "problem",
                f'font "{family}" is not installed (fontconfig would use {instead!r} instead)',
                _apt(_package_for(family)),
            )


def check_libreoffice() -> Check:
    """LibreOffice, used to check that DOCX files open and lay out."""
    for name in ("soffice", "libreoffice"):
        path = shutil.which(name)
        if path:
            return _ok(f"LibreOffice ({path})")
    return Check(
        "warning",
        "LibreOffice not found: DOCX files are built but not test-rendered",
        _apt("libreoffice-writer"),
    )


def check_chromium() -> Check:
    """Chromium, used by the browser tests of `ijbrief serve`."""
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return _ok(f"Chromium ({path})")
    return Check("warning", "Chromium not found: the browser tests cannot run", _apt("chromium"))


def check_out(root: Path) -> Check:
    """out/ is a folder the build can write into (created and removed again if missing)."""
    out = root / "out"
    if out.exists() and not out.is_dir():
        return Check("problem", f"{out} exists but is not a folder", "remove it or use --out")
    created = not out.exists()
    try:
        out.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=out, prefix=".doctor-", suffix=".tmp") as handle:
            handle.write(b"ok")
            handle.flush()
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        return Check(
            "problem", f"{out} is not writable ({reason})", "fix its permissions or use --out"
        )
    finally:
        if created and out.is_dir():
            with contextlib.suppress(OSError):
                out.rmdir()
    return _ok(f"{out} is writable")


CHECKS: tuple[Callable[[Path], Iterator[Check]], ...] = (
    lambda root: iter([check_python()]),
    lambda root: iter([check_pango()]),
    lambda root: iter([check_harfbuzz_subset()]),
    check_languages,
    check_families,
    lambda root: iter([check_libreoffice()]),
    lambda root: iter([check_chromium()]),
    lambda root: iter([check_out(root)]),
)


def run_checks(root: Path) -> list[Check]:
    """Every check, in the order printed."""
    return [result for check in CHECKS for result in check(root)]


def doctor(root: Path) -> int:
    """Print one line per check; return 0 when building can work, 1 otherwise."""
    results = run_checks(root)
    for result in results:
        print(result)
    problems = sum(r.status == "problem" for r in results)
    warnings = sum(r.status == "warning" for r in results)
    tail = f" ({warnings} warning{'s' * (warnings != 1)})" if warnings else ""
    if problems:
        print(f"doctor: {problems} problem{'s' * (problems != 1)} to fix before building{tail}")
        return 1
    print(f"doctor: ready to build{tail}")
    return 0
