"""Build progress: a rich display on a terminal, plain lines otherwise, nothing with --quiet."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

# What progress reads of build.pipeline's Task, Rendered and BuildReport: described here rather
# than imported, so that the pipeline imports progress and not the other way round.


class ProgressTask(Protocol):
    @property
    def audience(self) -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def ident(self) -> str: ...
    @property
    def stem(self) -> Path: ...
    @property
    def formats(self) -> Sequence[str]: ...


class ProgressResult(Protocol):
    @property
    def task(self) -> ProgressTask: ...
    @property
    def fit(self) -> dict[str, Any]: ...
    @property
    def note(self) -> str: ...
    @property
    def pages(self) -> int: ...
    @property
    def seconds(self) -> float: ...


class ProgressReport(Protocol):
    @property
    def written(self) -> Sequence[str]: ...
    @property
    def skipped(self) -> Sequence[str]: ...
    @property
    def seconds(self) -> float: ...
    @property
    def omitted(self) -> dict[str, dict[str, int]]: ...
    @property
    def removed(self) -> Sequence[tuple[str, str]]: ...


class Progress:
    """Reports briefs and dossiers as they finish, and a summary line at the end."""

    def __init__(self, quiet: bool = False, stream: Any = None) -> None:
        self.quiet = quiet
        self.stream = stream or sys.stderr
        self.live: Any = None
        self.bar: Any = None
        self.total = 0
        self.count = 0

    def start(self, total: int, skipped: int) -> None:
        self.total = total
        if self.quiet:
            return
        if skipped:
            self._line(f"{skipped} output(s) up to date")
        if self.stream.isatty() and total:
            from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeElapsedColumn
            from rich.progress import Progress as RichProgress

            self.live = RichProgress(
                TextColumn("[bold]building[/bold]"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                TextColumn("{task.description}"),
                transient=True,
            )
            self.live.start()
            self.bar = self.live.add_task("", total=total)

    def begin(self, task: ProgressTask) -> None:
        if self.live is not None:
            stage = "dossier" if task.kind == "dossier" else "briefs"
            self.live.update(self.bar, description=f"{stage}: {task.audience}/{task.ident}")

    def done(self, result: ProgressResult) -> None:
        self.count += 1
        if self.quiet:
            return
        task = result.task
        what = f"{task.stem}.{{{','.join(task.formats)}}}"
        fit = result.fit
        note = ""
        if fit and (fit.get("dropped") or fit.get("scale", 1) < 1):
            note = f", fitted: scale {fit['scale']}" + (
                f", dropped {', '.join(fit['dropped'])}" if fit["dropped"] else ""
            )
        if result.note:
            note += f", {result.note}"
        pages = f"{result.pages} page{'s' * (result.pages != 1)}"
        message = f"[{self.count}/{self.total}] {what} ({pages}{note}, {result.seconds:.1f}s)"
        if self.live is not None:
            self.live.update(self.bar, advance=1)
            self.live.console.print(message, highlight=False)
        else:
            self._line(message)

    def admits(self, wider: dict[str, list[str]]) -> None:
        """Say which editions show more than public material, before anything is built."""
        if self.quiet:
            return
        for name, levels in wider.items():
            self._line(
                f"note: the {name} edition shows {' and '.join(levels)} items "
                f"(admits: in templates/{name}/audience.yaml)"
            )

    def finish(self, report: ProgressReport) -> None:
        if self.live is not None:
            self.live.stop()
        if not self.quiet:
            for relpath, made_by in report.removed:
                self._line(f"removed {relpath}: out of date (`build {made_by}` makes it again)")
            for name, reasons in report.omitted.items():
                total = sum(reasons.values())
                if not total:
                    self._line(f"{name}: nothing left out")
                    continue
                why = ", ".join(f"{n} by {reason}" for reason, n in sorted(reasons.items()))
                self._line(
                    f"{name}: {total} item{'s' * (total != 1)} left out ({why}); "
                    "manifest.json lists them"
                )
            self._line(
                f"built {len(report.written)} file(s), {len(report.skipped)} up to date, in {report.seconds:.2f}s"
            )

    def _line(self, text: str) -> None:
        print(text, file=self.stream, flush=True)
