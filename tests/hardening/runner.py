"""Run ijbrief commands in a fresh process and report, for each, its exit code, what it printed,
how long it took, and every file Python opened or listed meanwhile (through an audit hook).

Used as ``python runner.py RESULT.json -- ARGS... [-- ARGS...]``; what it finds goes to RESULT.json.
An exception that escapes ``main`` is recorded as the traceback Python would have printed.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import sys
import time
import traceback

_opened: list[str] = []


def _hook(event: str, args: tuple[object, ...]) -> None:
    if event in ("open", "os.listdir", "os.scandir") and args:
        path = args[0]
        if isinstance(path, (str, bytes)):
            _opened.append(os.path.abspath(os.fsdecode(path)))


def main() -> int:
    result_file, *rest = sys.argv[1:]
    commands: list[list[str]] = []
    for arg in rest:
        if arg == "--":
            commands.append([])
        else:
            commands[-1].append(arg)
    sys.addaudithook(_hook)
    from ijbrief.cli import main as ijbrief

    results = []
    for command in commands:
        _opened.clear()
        out, err = io.StringIO(), io.StringIO()
        started = time.perf_counter()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = ijbrief(command)
            except SystemExit as exc:
                code = exc.code if isinstance(exc.code, int) else 2
            except BaseException:  # what a user would see: a traceback
                traceback.print_exc()
                code = 1
        results.append(
            {
                "command": command,
                "code": code,
                "out": out.getvalue(),
                "err": err.getvalue(),
                "seconds": time.perf_counter() - started,
                "opened": sorted(set(_opened)),
            }
        )
    with open(result_file, "w", encoding="utf-8") as handle:
        json.dump(results, handle)
    return 0


if __name__ == "__main__":
    sys.exit(main())
