"""Command line: parse arguments, call one function per command, print problems, set exit codes."""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ijbrief import __version__
from ijbrief.errors import IjbriefError, Problem

if TYPE_CHECKING:
    from ijbrief.build.pipeline import BuildOptions

FORMATS = ("pdf", "docx", "html", "all")
WATCH_INTERVAL = 1.0  # seconds between looks at the files' stat, besides the system's reports


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date written as YYYY-MM-DD") from None


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ijbrief",
        description="Dated one-page briefs and a consolidated dossier on India–Japan meetings.",
    )
    parser.add_argument("--version", action="version", version=f"ijbrief {__version__}")
    parser.add_argument(
        "-C", "--project", type=Path, default=Path("."), help="project folder (default: .)"
    )
    parser.add_argument("--debug", action="store_true", help="show tracebacks")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    # `-C` is accepted after the command too (`ijbrief build -C other`), as people type it.
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "-C", "--project", type=Path, default=argparse.SUPPRESS, help=argparse.SUPPRESS
    )
    common.add_argument(
        "--debug", action="store_true", default=argparse.SUPPRESS, help=argparse.SUPPRESS
    )
    original = commands.add_parser

    def add_parser(name: str, **kwargs: Any) -> argparse.ArgumentParser:
        return original(name, parents=[common, *kwargs.pop("parents", [])], **kwargs)

    commands.add_parser = add_parser  # type: ignore[method-assign]

    commands.add_parser("check", help="validate seeds/ and briefs/, reporting every problem")

    build = commands.add_parser("build", help="build briefs and dossiers into out/")
    build.add_argument("--format", choices=FORMATS, default="pdf")
    build.add_argument("--audience", nargs="+", metavar="NAME", help="default: every audience")
    build.add_argument("--only", nargs="+", metavar="ID", help="only these meetings/agreements")
    build.add_argument("--since", type=_date, metavar="DATE")
    build.add_argument("--until", type=_date, metavar="DATE")
    build.add_argument("--topic", nargs="+", metavar="TOPIC")
    build.add_argument("--out", type=Path, help="output folder (default: PROJECT/out)")
    build.add_argument("--date", type=_date, help="the 'prepared on' date (default: from data)")
    build.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="parallel workers")
    build.add_argument("--force", action="store_true", help="rebuild even what is up to date")
    build.add_argument("--quiet", action="store_true", help="print nothing but errors")
    build.add_argument(
        "--watch",
        action="store_true",
        help="stay running and rebuild when briefs/, templates/ or seeds/ change (Ctrl+C stops)",
    )

    new = commands.add_parser("new", help="scaffold a new meeting or agreement file")
    new.add_argument("kind", choices=("meeting", "agreement"))
    new.add_argument("--title", default=None)
    new.add_argument("--date", type=_date, default=None, help="default: today")
    new.add_argument("--id", dest="ident", default=None, help="default: from the title")

    commands.add_parser("schema", help="write JSON Schema for the YAML files to briefs/schema/")

    templates = commands.add_parser("templates", help="list, create or inspect audiences")
    tsub = templates.add_subparsers(dest="action", required=True, metavar="ACTION")
    tsub.add_parser("list", help="audiences with their label and origin")
    tnew = tsub.add_parser("new", help="create a derived audience in templates/")
    tnew.add_argument("name")
    tnew.add_argument("--from", dest="base", default="minister")
    tshow = tsub.add_parser("show", help="the resolved template chain of an audience")
    tshow.add_argument("name")

    serve = commands.add_parser("serve", help="browse, build and download in a local web app")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--out", type=Path)
    serve.add_argument("--jobs", type=int, default=None, help="parallel workers for builds")
    serve.add_argument("--no-watch", action="store_true", help="do not rebuild on changes")

    commands.add_parser("doctor", help="check fonts, Pango, LibreOffice and out/")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; return the process exit code."""
    args = _parser().parse_args(argv)
    root: Path = args.project
    if not root.is_dir():
        print(f"ijbrief: project folder {root} does not exist", file=sys.stderr)
        return 2
    try:
        return _run(args, root)
    except IjbriefError as exc:
        if args.debug:
            raise
        _print_problems(exc.problems)
        return 1
    except KeyboardInterrupt:
        print("ijbrief: interrupted; earlier outputs are untouched", file=sys.stderr)
        return 130


def _print_problems(problems: Sequence[Problem]) -> None:
    for problem in problems:
        print(problem, file=sys.stderr)
    errors = sum(not p.warning for p in problems)
    warnings = len(problems) - errors
    summary = f"{errors} error{'s' * (errors != 1)}"
    if warnings:
        summary += f", {warnings} warning{'s' * (warnings != 1)}"
    print(summary, file=sys.stderr)


def _build_and_watch(options: BuildOptions) -> int:
    """Build, then build again after every change until interrupted; bad input is reported
    and waited out, so that the next save can fix it."""
    import dataclasses
    import gc
    import signal
    import threading

    from ijbrief.build.pipeline import build, warm_up
    from ijbrief.build.watching import WATCHED, changes, signature

    def attempt(options: BuildOptions) -> None:
        try:
            build(options)
        except IjbriefError as exc:
            _print_problems(exc.problems)
            print("ijbrief: out/ is unchanged; fix the files and save again", file=sys.stderr)
        gc.collect()  # what the build left behind, now, while waiting, not in the next build

    def stop(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)  # a service manager's stop is a Ctrl+C too
    before = signature(options.root, options.out_dir)  # so that edits made meanwhile count
    attempt(options)
    options = dataclasses.replace(options, force=False)  # --force is for the first build only
    warm_up(options)
    gc.collect()
    folders = ", ".join(f"{name}/" for name in WATCHED)
    print(f"ijbrief: watching {folders} (Ctrl+C to stop)", file=sys.stderr, flush=True)
    try:
        for changed in changes(
            options.root, options.out_dir, WATCH_INTERVAL, threading.Event(), since=before
        ):
            shown = ", ".join(changed[:3]) + (
                f" and {len(changed) - 3} more" if changed[3:] else ""
            )
            print(f"ijbrief: {shown} changed", file=sys.stderr, flush=True)
            attempt(options)
    except KeyboardInterrupt:
        print("ijbrief: stopped watching", file=sys.stderr)
    return 0


def _run(args: argparse.Namespace, root: Path) -> int:
    command = args.command
    if command == "check":
        from ijbrief.corpus.loader import load_corpus

        corpus = load_corpus(root)
        for warning in corpus.warnings:
            print(warning, file=sys.stderr)
        print(
            f"ok: {len(corpus.meetings)} meetings, {len(corpus.agreements)} agreements, "
            f"{len(corpus.sources)} sources, {corpus.quotations_verified} quotations verified"
        )
        return 0
    if command == "new":
        from ijbrief.corpus.authoring import new_file

        title = args.title or f"New {args.kind}"
        path = new_file(root, args.kind, title, args.date or dt.date.today(), args.ident)
        print(f"wrote {path.relative_to(root)}; fill it in, then run `ijbrief check`")
        return 0
    if command == "schema":
        from ijbrief.corpus.authoring import write_schemas

        for path in write_schemas(root):
            print(f"wrote {path.relative_to(root)}")
        return 0
    if command == "build":
        from ijbrief.build.pipeline import BuildOptions, build

        options = BuildOptions(
            root=root,
            formats=("html", "pdf", "docx") if args.format == "all" else (args.format,),
            audiences=tuple(args.audience or ()),
            only=tuple(args.only or ()),
            since=args.since,
            until=args.until,
            topics=tuple(args.topic or ()),
            out=args.out or root / "out",
            prepared=args.date,
            jobs=max(1, args.jobs),
            force=args.force,
            quiet=args.quiet,
            warm=args.watch,
        )
        if args.watch:
            return _build_and_watch(options)
        build(options)
        return 0
    if command == "templates":
        from ijbrief.compose import audiences

        if args.action == "list":
            for audience in audiences.discover(root):
                print(f"{audience.name:<12} {audience.origin:<9} {audience.label}")
        elif args.action == "new":
            path = audiences.create(root, args.name, args.base)
            print(f"wrote {path.relative_to(root)}/ (inherits everything from {args.base})")
        else:
            for line in audiences.chain(root, args.name):
                print(line)
        return 0
    if command == "serve":
        from ijbrief.web.serve import serve

        out = args.out or root / "out"
        return int(serve(root, out, args.host, args.port, jobs=args.jobs, watch=not args.no_watch))
    if command == "doctor":
        from ijbrief.doctor import doctor

        return int(doctor(root))
    raise AssertionError(command)  # pragma: no cover - argparse restricts commands
