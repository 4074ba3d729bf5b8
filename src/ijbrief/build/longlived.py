"""What a long-lived process (``build --watch``, ``serve``) builds one project through.

Between its builds such a process keeps what the next one needs: the parsed YAML and the
meeting views, the PDF engine loaded, resident workers of its own (from a fork server) that lay
out and merge the dossiers' parts and keep them, and dossiers laid out ahead. All of that is in
``pool``; this is the interface to it: build, get ready for the next build, let everything go.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from ijbrief.build import workers
from ijbrief.build.pipeline import BuildReport, build
from ijbrief.build.plan import BuildOptions
from ijbrief.build.pool import retire_resident, warm_up
from ijbrief.build.progress import Progress


class LongLived:
    """One project's builds in a long-lived process. The state lives as long as the process
    (its workers need it at module level); this handle is cheap to make where it is needed."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()

    def build(self, options: BuildOptions, progress: Progress | None = None) -> BuildReport:
        """``build(options)``, as a long-lived process runs it: every dossier in parts, the
        YAML and views remembered for the next build."""
        return build(self._warm(options), progress)

    def ready(self, options: BuildOptions) -> None:
        """While waiting for an edit: load the engine, compile the templates, start the resident
        workers and lay out ahead what the next build of ``options`` will need."""
        warm_up(self._warm(options))

    def retire(self) -> None:
        """Let this project's resident workers go (the next ``ready`` starts them anew)."""
        retire_resident(self.root)

    def close(self, wait: float = workers.STOP_WAIT) -> None:
        """Stop every worker this process still runs (a build's, stopped midway, and the
        resident ones), each within ``wait`` seconds."""
        retire_resident(self.root)
        workers.stop_all(wait)

    def _warm(self, options: BuildOptions) -> BuildOptions:
        if options.root.resolve() != self.root:
            raise ValueError(f"{options.root} is not the project {self.root} is building")
        return options if options.warm else dataclasses.replace(options, warm=True)
