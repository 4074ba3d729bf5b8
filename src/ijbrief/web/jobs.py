"""Build jobs: one request to build (or one automatic rebuild), its progress as the page shows
it, and the refusals a request can meet (a full queue, a form with mistakes)."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any

from ijbrief.build.pipeline import BuildOptions
from ijbrief.build.progress import Progress, ProgressReport, ProgressResult, ProgressTask


@dataclass
class Job:
    """One build request (or one automatic rebuild), possibly several ``build()`` calls."""

    id: str
    kind: str  # dossier | rebuild
    label: str
    plan: tuple[BuildOptions, ...]
    target: str | None = None  # the file to offer for download, relative to out/
    state: str = "queued"  # queued | running | done | error
    total: int = 0
    done: int = 0
    skipped: int = 0
    written: int = 0
    current: str = ""
    problems: list[str] = field(default_factory=list)
    summary: str = ""
    download: dict[str, Any] | None = None
    created: float = field(default_factory=time.time)
    seconds: float = 0.0
    finished: threading.Event = field(default_factory=threading.Event)

    @property
    def active(self) -> bool:
        return self.state in ("queued", "running")

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "label": self.label,
            "state": self.state,
            "total": self.total,
            "done": self.done,
            "skipped": self.skipped,
            "written": self.written,
            "current": self.current,
            "problems": list(self.problems),
            "summary": self.summary,
            "download": self.download,
            "seconds": round(self.seconds, 2),
            "status_url": f"/build/{self.id}",
        }


class JobProgress(Progress):
    """Progress that updates a job (shown by the page) instead of printing."""

    def __init__(self, job: Job, lock: threading.Lock) -> None:
        super().__init__(quiet=True)
        self.job = job
        self.lock = lock

    def start(self, total: int, skipped: int) -> None:
        with self.lock:
            self.job.total += total
            self.job.skipped += skipped

    def begin(self, task: ProgressTask) -> None:
        with self.lock:
            self.job.current = str(task.stem)

    def done(self, result: ProgressResult) -> None:
        with self.lock:
            self.job.done += 1
            self.job.current = str(result.task.stem)

    def finish(self, report: ProgressReport) -> None:
        with self.lock:
            self.job.current = ""


class QueueFull(Exception):
    """Too many dossier builds are waiting already."""


class FormError(Exception):
    """A dossier request the form should not have sent; each problem is shown to the user."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems
