"""`--help` says what every option of build, serve and check does, and its default (issue 20.17)."""

from __future__ import annotations

import argparse
import subprocess
import sys

import pytest

from ijbrief.cli import _parser


def subcommand(name: str) -> argparse.ArgumentParser:
    commands = next(a for a in _parser()._actions if isinstance(a, argparse._SubParsersAction))
    parser: argparse.ArgumentParser = commands.choices[name]
    return parser


@pytest.mark.parametrize("name", ["build", "serve"])
def test_every_option_has_a_description_and_its_default(name: str) -> None:
    for action in subcommand(name)._actions:
        if action.help == argparse.SUPPRESS or isinstance(action, argparse._HelpAction):
            continue
        assert action.help, f"{name} {action.option_strings}: no description"
        assert "default" in action.help, f"{name} {action.option_strings}: no default given"


def test_check_help_says_what_it_checks() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "ijbrief", "check", "-h"], capture_output=True, text=True
    )
    assert done.returncode == 0
    text = " ".join(done.stdout.split())
    for what in ("schema", "reference", "office", "quotation", "seeds/", "path:line:col"):
        assert what in text, what
