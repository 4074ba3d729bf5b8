"""Read an earlier edition for ``build --since-edition``: a manifest.json an earlier build wrote,
the out/ folder it is in, or a git revision of the project (its corpus loaded at that revision
from the project's own repository)."""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import subprocess
import tarfile
import tempfile
from pathlib import Path

from ijbrief.compose.changes import Earlier, problems_of, record_of
from ijbrief.corpus.loader import load_corpus
from ijbrief.errors import IjbriefError, InputError
from ijbrief.files import read_bytes

MAX_MANIFEST_BYTES = 64 * 1024 * 1024
MAX_ARCHIVE_BYTES = 256 * 1024 * 1024
GIT_SECONDS = 60


class EditionError(IjbriefError):
    """The earlier edition named cannot be read or compared with (a bad argument: exit 2)."""


def read_edition(root: Path, given: str, prepared: dt.date) -> Earlier:
    """The edition ``given`` names: a manifest, a folder holding one, or a git revision of the
    project at ``root``. It must not be dated after ``prepared``, the build's own date."""
    path = Path(given)
    if given and path.is_dir():
        earlier = _from_manifest(path / "manifest.json", f"{given.rstrip('/')}/manifest.json")
    elif given and path.is_file():
        earlier = _from_manifest(path, given)
    else:
        earlier = _from_git(root, given)
    if earlier.date > prepared:
        raise EditionError(
            f"--since-edition {given}: that edition is dated {earlier.date.isoformat()}, after "
            f"this build's date {prepared.isoformat()}; give an earlier edition (or --date)"
        )
    return earlier


def _from_manifest(path: Path, shown: str) -> Earlier:
    try:
        raw = read_bytes(path, shown, MAX_MANIFEST_BYTES)
    except InputError as exc:
        raise EditionError(f"--since-edition: {exc.problems[0]}") from None
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise EditionError(
            f"--since-edition: {shown}: not a manifest ijbrief wrote ({exc})"
        ) from None
    if not isinstance(data, dict) or "outputs" not in data:
        raise EditionError(f"--since-edition: {shown}: not a manifest ijbrief wrote")
    try:
        date = dt.date.fromisoformat(str(data.get("prepared")))
    except ValueError:
        raise EditionError(f"--since-edition: {shown}: it says no date it was prepared") from None
    record = data.get("record")
    why = problems_of(record)
    if why:
        raise EditionError(
            f"--since-edition: {shown}: {why} (it was written by an older ijbrief; "
            "give a git revision instead)"
        )
    assert isinstance(record, dict)  # problems_of said so
    return Earlier(date, "", record)


def _git(root: Path, *args: str, binary: bool = False) -> subprocess.CompletedProcess[bytes]:
    # The repository is the project's own: git must not look for one in the folders above it.
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_") or k == "GIT_EXEC_PATH"}
    env["GIT_CEILING_DIRECTORIES"] = str(root.parent)
    try:
        return subprocess.run(
            ["git", "-C", str(root), *args],
            capture_output=True,
            env=env,
            timeout=GIT_SECONDS,
            check=False,
        )
    except FileNotFoundError:
        raise EditionError(
            "--since-edition: git is not installed, so no revision can be read"
        ) from None
    except subprocess.TimeoutExpired:
        raise EditionError(
            f"--since-edition: git took over {GIT_SECONDS} s; nothing was built"
        ) from None


def _from_git(root: Path, ref: str) -> Earlier:
    root = root.resolve()
    not_found = (
        f"--since-edition {ref}: not a manifest, an out/ folder or a git revision of the project"
    )
    if not ref or ref.startswith("-") or any(c in ref for c in "\n\0"):
        raise EditionError(not_found)
    top = _git(root, "rev-parse", "--show-toplevel")
    if top.returncode != 0 or Path(top.stdout.decode().strip()).resolve() != root:
        raise EditionError(f"{not_found} (the project is not a git repository of its own)")
    found = _git(root, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}")
    if found.returncode != 0:
        raise EditionError(not_found)
    commit = found.stdout.decode().strip()
    when = _git(root, "show", "-s", "--format=%cI", commit)
    date = dt.datetime.fromisoformat(when.stdout.decode().strip()).astimezone(dt.UTC).date()
    tree = _git(root, "archive", "--format=tar", commit)
    if tree.returncode != 0 or len(tree.stdout) > MAX_ARCHIVE_BYTES:
        raise EditionError(
            f"--since-edition {ref}: git could not give the project at {commit[:12]}"
        )
    with tempfile.TemporaryDirectory(prefix="ijbrief-edition-") as folder:
        with tarfile.open(fileobj=io.BytesIO(tree.stdout)) as archive:
            archive.extractall(folder, filter="data")
        try:
            corpus = load_corpus(Path(folder))
        except InputError as exc:
            first = exc.problems[0] if exc.problems else "invalid"
            raise EditionError(
                f"--since-edition {ref}: the corpus at {commit[:12]} does not load ({first})"
            ) from None
    return Earlier(date, f"revision {commit[:12]}", record_of(corpus))


def _docx_bytes(path: Path, shown: str) -> bytes:
    from ijbrief.writers.docx_package import MAX_REFERENCE_BYTES

    try:
        return read_bytes(path, shown, 4 * MAX_REFERENCE_BYTES)
    except InputError as exc:
        raise EditionError(str(exc.problems[0])) from None


MAX_HTML_BYTES = 200 * 2**20  # a dossier's page with its pictures inline, not an archive


def redline(old: Path, new: Path, doc: str | None, out: Path) -> list[Path]:
    """``ijbrief diff``: compare two editions of a Word document ijbrief wrote (two DOCX files,
    or two out/ folders and the document's path inside them) and write the redline DOCX and
    the HTML diff into ``out``; returns the files written."""
    from ijbrief.writers.docx_redline import RedlineError, compare

    if old.is_dir() != new.is_dir():
        raise EditionError("diff: give two DOCX files, or two out/ folders and --doc")
    if old.is_dir():
        if not doc:
            raise EditionError("diff: two folders are compared by one document: add --doc PATH")
        inner = Path(doc)
        if inner.is_absolute() or ".." in inner.parts or inner.suffix not in (".docx", ".html"):
            raise EditionError(f"diff: --doc {doc}: a .docx or .html path inside the out/ folders")
        old, new = old / inner, new / inner
    elif doc:
        raise EditionError("diff: --doc is for comparing two out/ folders")
    for path in (old, new):
        if not path.exists():
            raise EditionError(f"diff: {path}: no such file")
    kinds = {path.suffix.lower() for path in (old, new)}
    if kinds <= {".html", ".htm"}:
        return _html_diff(old, new, out)
    for path in (old, new):
        if path.suffix.lower() != ".docx":
            raise EditionError(f"diff: {path}: give two Word files (.docx) or two HTML files")
    try:
        made = compare(
            _docx_bytes(old, str(old)), _docx_bytes(new, str(new)), str(old), str(new), _now()
        )
    except RedlineError as exc:
        raise EditionError(f"diff: {exc.problems[0].message}") from None
    stem = new.stem
    targets = [out / f"{stem}-redline.docx", out / f"{stem}-diff.html"]
    try:
        out.mkdir(parents=True, exist_ok=True)
        for target, data in zip(targets, (made.docx, made.html), strict=True):
            partial = target.with_name(f".{target.name}.tmp")
            partial.write_bytes(data)
            partial.replace(target)
    except OSError as exc:
        raise IjbriefError(f"diff: cannot write into {out}: {exc.strerror or exc}") from None
    return targets


def _html_diff(old: Path, new: Path, out: Path) -> list[Path]:
    """Two HTML outputs: the HTML diff only (a redline needs the Word files)."""
    from ijbrief.writers.docx_redline import RedlineError, compare_html

    try:
        pages = [read_bytes(p, str(p), MAX_HTML_BYTES) for p in (old, new)]
        page = compare_html(pages[0], pages[1], str(old), str(new), _now())
    except InputError as exc:
        raise EditionError(f"diff: {exc.problems[0]}") from None
    except RedlineError as exc:
        raise EditionError(f"diff: {exc.problems[0].message}") from None
    target = out / f"{new.stem}-diff.html"
    try:
        out.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(f".{target.name}.tmp")
        partial.write_bytes(page)
        partial.replace(target)
    except OSError as exc:
        raise IjbriefError(f"diff: cannot write into {out}: {exc.strerror or exc}") from None
    return [target]


def _now() -> dt.datetime:
    """When the tracked changes were made: SOURCE_DATE_EPOCH (a reproducible run) or now."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch.isdigit():
        return dt.datetime.fromtimestamp(int(epoch), tz=dt.UTC)
    return dt.datetime.now(dt.UTC).replace(microsecond=0)
