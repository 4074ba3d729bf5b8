"""A build killed at any moment (issue 28.1-2): its workers go with it, the next build is not
kept waiting, and out/ never holds new outputs under an old manifest."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

from tests.processes import descendants, wait_gone

from ijbrief.build.outputs import locked

REPO = Path(__file__).resolve().parents[2]
STAGING_PREFIX = ".ijbrief-staging-"
JOURNAL_NAME = ".ijbrief-journal.json"
ENV = {**os.environ, "PYTHONPATH": str(REPO / "src"), "PYTHONUNBUFFERED": "1"}


def ijbrief(project: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "ijbrief", "-C", str(project), *args]


def test_a_killed_build_leaves_nothing_that_blocks_the_next(project: Path) -> None:
    command = ijbrief(project, "build", "--audience", "minister", "--jobs", "2")
    process = subprocess.Popen(command, env=ENV, stderr=subprocess.PIPE, text=True)
    assert process.stderr is not None
    first = process.stderr.readline()
    while first.startswith("note: "):  # what the edition admits, said before the work starts
        first = process.stderr.readline()
    assert first.startswith("[1/"), first  # the first finished document: its workers are busy
    workers = descendants(process.pid)
    assert workers, "the build rendered in no worker process"
    process.kill()
    process.wait(timeout=10)
    process.stderr.close()
    assert wait_gone(workers, timeout=5) == set(), "the killed build's workers live on"
    out = project / "out"
    assert [p for p in out.iterdir() if p.name.startswith(STAGING_PREFIX)]  # the build's own
    with locked(out, wait=False):  # refused ("another build is running") while workers held it
        pass
    assert not [p for p in out.iterdir() if p.name.startswith(STAGING_PREFIX)]


# Runs the build, but the process is killed (as by `kill -9`) after its fifth rename into out/.
KILLED_AMONG_THE_RENAMES = """
import os, signal, sys
from ijbrief.cli import main
rename, done = os.replace, []
def replace(source, target):
    rename(source, target)
    if not str(target).endswith("journal.json") and "staging" not in str(target):
        done.append(target)
        if len(done) == 5:
            os.kill(os.getpid(), signal.SIGKILL)
os.replace = replace
sys.exit(main(sys.argv[1:]))
"""


def manifest_mismatches(out: Path) -> list[str]:
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))["outputs"]
    return [
        path
        for path, entry in manifest.items()
        if hashlib.sha256((out / path).read_bytes()).hexdigest() != entry["sha256"]
    ]


def test_a_build_killed_among_its_renames_is_completed_not_mixed(project: Path) -> None:
    options = ["build", "--audience", "minister", "--jobs", "2", "--format", "html"]
    subprocess.run(ijbrief(project, *options), env=ENV, check=True, capture_output=True)
    out = project / "out"
    assert manifest_mismatches(out) == []
    # Every output changes: each says when it was prepared.
    script = [sys.executable, "-c", KILLED_AMONG_THE_RENAMES, "-C", str(project)]
    killed = subprocess.run(
        [*script, *options, "--date", "2031-01-02"],
        env=ENV,
        capture_output=True,
        text=True,
    )
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    with locked(out):  # whoever takes the lock next finds out/ whole
        pass
    assert manifest_mismatches(out) == []
    assert "2031" in json.loads((out / "manifest.json").read_text(encoding="utf-8"))["prepared"]
    assert not (out / JOURNAL_NAME).exists()
    assert not [p for p in out.iterdir() if p.name.startswith(STAGING_PREFIX)]
