"""Command line: parse arguments, call one function per command, print problems, set exit codes.

One module of some 600 lines on purpose: the parser (every command's options and help, read by
`--help` without importing anything heavy) and a dispatch that imports each command's module
only when that command runs; what a command does lives in its stage."""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ijbrief import __version__
from ijbrief.errors import IjbriefError, Problem
from ijbrief.writers.pdf_variants import DEFAULT_PDF_VARIANT, PDF_VARIANTS

if TYPE_CHECKING:
    from ijbrief.build.pipeline import BuildOptions

WATCH_INTERVAL = 1.0  # seconds between looks at the files' stat, besides the system's reports


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date written as YYYY-MM-DD") from None


def _parser() -> argparse.ArgumentParser:
    from ijbrief.build import formats as output_formats

    parser = argparse.ArgumentParser(
        prog="ijbrief",
        description="Dated one-page briefs and a consolidated dossier on a bilateral relationship's meetings.",
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

    init = commands.add_parser("init", help="start a new project in DIR (default: .)")
    init.add_argument("dir", nargs="?", type=Path, default=Path("."), metavar="DIR")
    init.add_argument(
        "--parties",
        nargs="+",
        metavar="NAME",
        default=["Party A", "Party B"],
        help="the two (or more) sides, e.g. --parties Ruritania Freedonia",
    )
    init.add_argument("--title", help="the relationship as titles show it (default: A–B)")
    init.add_argument(
        "--force",
        action="store_true",
        help="write into a non-empty folder (existing files are kept)",
    )
    init.add_argument(
        "--bare",
        action="store_true",
        help="empty registries, without the example meeting and source",
    )

    check = commands.add_parser(
        "check",
        help="validate seeds/ and briefs/, reporting every problem",
        description=(
            "Check the project without building anything: every YAML file in briefs/ against "
            "its schema (unknown keys, types, dates), every reference between records "
            "(people, topics, sources, meetings, agreements), each participant's office on "
            "the meeting's date, the order of an agreement's status steps, every "
            "quotation against the source text in seeds/ it cites, verbatim, the support "
            "check (every name, number, date and quoted phrase of a statement is in a source "
            "it cites, or the statement declares its basis), and every audience in templates/ "
            "(audience.yaml, that the templates compile, reference.docx). Each problem is "
            "printed as path:line:col: message, then a fidelity summary; the exit code is 1 "
            "if there is any error."
        ),
    )
    check.add_argument(
        "--strict",
        action="store_true",
        help="fail (exit 1) on any unsupported statement or any meeting still a draft, not only warn",
    )

    source = commands.add_parser("source", help="bring sources into seeds/, list them")
    ssub = source.add_subparsers(dest="action", required=True, metavar="ACTION")
    sadd = ssub.add_parser("add", help="extract a .txt, .html, .pdf or .docx file into seeds/")
    sadd.add_argument("files", nargs="+", type=Path, metavar="FILE")
    sadd.add_argument("--id", dest="ident", help="default: the next src-NNN")
    sadd.add_argument("--title", help="default: the file's own title")
    sadd.add_argument("--outlet", help="default: the page's site name, if it gives one")
    sadd.add_argument("--published", type=_date, metavar="DATE", help="default: from the file")
    sadd.add_argument("--kind", choices=("news report", "explainer", "statement", "document"))
    ssub.add_parser("list", help="each source, what cites it, how many of its quotations are used")

    build = commands.add_parser(
        "build",
        help="build briefs and dossiers into out/",
        description="Build a one-page brief per meeting and agreement and a dossier per "
        "audience into out/; what is up to date is skipped, and a failed build changes nothing.",
    )
    build.add_argument(
        "--format",
        choices=(*output_formats.names(), "all"),
        default="pdf",
        help=f"output format; all: {', '.join(f.label for f in output_formats.formats())} "
        "(default: pdf)",
    )
    build.add_argument(
        "--audience",
        nargs="+",
        metavar="NAME",
        help="build for these audiences only (default: every audience in templates/)",
    )
    build.add_argument(
        "--only",
        nargs="+",
        metavar="ID",
        help="only these meetings or agreements, by id (default: all)",
    )
    build.add_argument(
        "--since",
        type=_date,
        metavar="DATE",
        help="only meetings on or after DATE (YYYY-MM-DD), and agreements with a step since "
        "(default: no limit)",
    )
    build.add_argument(
        "--until",
        type=_date,
        metavar="DATE",
        help="only meetings on or before DATE (YYYY-MM-DD), and agreements with a step by then "
        "(default: no limit)",
    )
    build.add_argument(
        "--topic",
        nargs="+",
        metavar="TOPIC",
        help="only records on any of these topics, ids from briefs/topics.yaml (default: all)",
    )
    build.add_argument("--out", type=Path, help="output folder (default: PROJECT/out)")
    build.add_argument(
        "--date",
        type=_date,
        metavar="DATE",
        help="the 'prepared' date printed (default: the day of SOURCE_DATE_EPOCH if set, else today)",
    )
    build.add_argument(
        "--jobs",
        type=int,
        default=os.cpu_count() or 1,
        metavar="N",
        help="worker processes rendering in parallel (default: the number of processors, "
        f"{os.cpu_count() or 1} here)",
    )
    build.add_argument(
        "--force", action="store_true", help="rebuild even what is up to date (default: off)"
    )
    build.add_argument(
        "--pdf-variant",
        choices=PDF_VARIANTS,
        default=DEFAULT_PDF_VARIANT,
        help="tagged PDF/UA-1, archival PDF/A (tagged too), or 'none' for untagged "
        f"(default: {DEFAULT_PDF_VARIANT})",
    )
    build.add_argument(
        "--quiet", action="store_true", help="print nothing but errors (default: off)"
    )
    build.add_argument(
        "--no-accel",
        action="store_true",
        help="turn the speed layer off, as IJBRIEF_ACCEL=0 does; the outputs are the same "
        "(default: on, unless IJBRIEF_ACCEL=0)",
    )
    build.add_argument(
        "--drafts",
        action="store_true",
        help="put meetings marked `status: draft` in dossiers (default: left out)",
    )
    build.add_argument(
        "--since-edition",
        metavar="PATH|REF",
        help="add to each dossier a 'Changes since' part against an earlier edition: its "
        "manifest.json, the out/ folder holding it, or a git revision of the project "
        "(default: none)",
    )
    build.add_argument(
        "--watch",
        action="store_true",
        help="stay running and rebuild when briefs/, templates/ or seeds/ change "
        "(Ctrl+C stops; default: build once)",
    )

    diff = commands.add_parser(
        "diff",
        help="compare two editions of a Word brief or dossier: a redline DOCX and an HTML diff",
        description="Compare two editions of a brief or dossier ijbrief wrote in Word: OLD and "
        "NEW are two .docx files, or two out/ folders with --doc naming the document in both. "
        "Writes NAME-redline.docx (the changes as tracked changes by 'ijbrief', to accept or "
        "reject in Word or LibreOffice) and NAME-diff.html. Two HTML outputs (.html files, or "
        "--doc PATH.html) give NAME-diff.html alone.",
    )
    diff.add_argument("old", type=Path, metavar="OLD")
    diff.add_argument("new", type=Path, metavar="NEW")
    diff.add_argument(
        "--doc",
        metavar="PATH",
        help="with two out/ folders: the document's path inside them, e.g. "
        "minister/minister-dossier.docx (or .html)",
    )
    diff.add_argument(
        "--out", type=Path, default=Path("."), help="folder to write into (default: .)"
    )

    new = commands.add_parser("new", help="scaffold a new meeting or agreement file")
    new.add_argument("kind", choices=("meeting", "agreement"))
    new.add_argument("--title", default=None)
    new.add_argument("--date", type=_date, default=None, help="default: today")
    new.add_argument("--id", dest="ident", default=None, help="default: from the title")
    new.add_argument(
        "--from", dest="source", metavar="SRC-ID", help="draft the meeting from this source"
    )
    new.add_argument(
        "--published",
        type=_date,
        metavar="DATE",
        help="with --from: the source's date, for 'on Friday' (default: the catalogue's)",
    )

    commands.add_parser("schema", help="write JSON Schema for the YAML files to briefs/schema/")

    templates = commands.add_parser("templates", help="list, create or inspect audiences")
    tsub = templates.add_subparsers(dest="action", required=True, metavar="ACTION")
    tsub.add_parser("list", help="audiences with their label and origin")
    tnew = tsub.add_parser("new", help="create a derived audience in templates/")
    tnew.add_argument("name")
    tnew.add_argument("--from", dest="base", default="minister")
    tnew.add_argument(
        "--admits",
        nargs="+",
        choices=("public", "restricted"),
        default=["public"],
        help="what it may see (default: public; what it derives from is not inherited)",
    )
    tshow = tsub.add_parser("show", help="the resolved template chain of an audience")
    tshow.add_argument("name")
    treference = tsub.add_parser(
        "reference",
        help="write templates/NAME/reference.docx from its audience.yaml, to edit in Word "
        "(without one, a build makes the same from audience.yaml)",
    )
    treference.add_argument("name")

    serve = commands.add_parser(
        "serve",
        help="browse, build and download in a local web app",
        description="Serve out/ as a web page with previews, downloads and a dossier form, "
        "and rebuild what out/ holds when briefs/, templates/ or seeds/ change. Ctrl+C, "
        "SIGTERM or SIGHUP stop it, and every worker it started.",
    )
    serve.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to listen on; anything but a loopback address makes the app reachable "
        "from other machines (default: 127.0.0.1)",
    )
    serve.add_argument(
        "--port", type=int, default=8000, metavar="N", help="port to listen on (default: 8000)"
    )
    serve.add_argument(
        "--allow-host",
        nargs="+",
        default=[],
        metavar="NAME",
        help="with --host other than loopback: host names or addresses others use to reach "
        "this server; requests naming any other Host are refused (default: loopback names and "
        "the --host address only)",
    )
    serve.add_argument("--out", type=Path, help="output folder (default: PROJECT/out)")
    serve.add_argument(
        "--jobs",
        type=int,
        default=None,
        metavar="N",
        help="worker processes for builds (default: the number of processors, at most 4)",
    )
    serve.add_argument(
        "--no-watch",
        action="store_true",
        help="do not rebuild when briefs/, templates/ or seeds/ change (default: rebuild)",
    )

    commands.add_parser("doctor", help="check fonts, Pango, LibreOffice and out/")
    review = commands.add_parser(
        "review",
        help="list a reviewed Word file's comments and edits at their YAML lines",
        description=(
            "Read a DOCX ijbrief built, after a reviewer commented on it and edited it (with or "
            "without tracking changes), and list each comment, tracked change and plain edit at "
            "the YAML file, line and column of the field it touches. --apply writes the text "
            "edits into the YAML (keeping its comments and layout) and runs check. Exit 2 if "
            "the file is not an ijbrief output or was built from another version of briefs/."
        ),
    )
    review.add_argument("file", type=Path, help="the reviewed .docx")
    review.add_argument(
        "--format", choices=("text", "json"), default="text", help="output (default: text)"
    )
    review.add_argument(
        "--apply",
        action="store_true",
        help="write the edits of plain text fields into the YAML, then check (default: only list)",
    )
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

    from ijbrief.build.longlived import LongLived
    from ijbrief.build.watching import WATCHED, changes, signature

    resident = LongLived(options.root)

    def attempt(options: BuildOptions) -> None:
        try:
            resident.build(options)
        except IjbriefError as exc:
            _print_problems(exc.problems)
            print("ijbrief: out/ is unchanged; fix the files and save again", file=sys.stderr)
        gc.collect()  # what the build left behind, now, while waiting, not in the next build

    def stop(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    # A service manager's stop, and a closed terminal, are a Ctrl+C too.
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGHUP, stop)
    before = signature(options.root, options.out_dir)  # so that edits made meanwhile count
    attempt(options)
    options = dataclasses.replace(options, force=False)  # --force is for the first build only
    resident.ready(options)
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
    finally:
        resident.close()  # the resident workers, and a build's if it was stopped midway
    return 0


def _review(args: argparse.Namespace, root: Path) -> int:
    import json

    from ijbrief.build.review import Refused, apply, as_json, review

    path = args.file if args.file.is_absolute() else Path.cwd() / args.file
    try:
        facts, found = review(root, path)
    except Refused as exc:
        print(f"ijbrief: {exc}", file=sys.stderr)
        return 2
    if args.format == "json":
        print(json.dumps(as_json(facts, found), ensure_ascii=False, indent=2))
    else:
        for finding in found:
            print(finding.line())
        if not found:
            print(f"{args.file}: no comments or changes")
    if not args.apply:
        return 0
    outcomes = apply(root, found)
    for outcome in outcomes:
        change = outcome.change
        field = ".".join(str(p) for p in change.path)
        if outcome.applied:
            print(f"{change.file}: {field}: updated", file=sys.stderr)
        else:
            print(f"{change.file}: {field}: not applied: {outcome.reason}", file=sys.stderr)
    if not any(o.applied for o in outcomes):
        return 0
    return _run(argparse.Namespace(command="check", strict=False, debug=args.debug), root)


def _run(args: argparse.Namespace, root: Path) -> int:
    command = args.command
    if command == "review":
        return _review(args, root)
    if command == "init":
        from ijbrief.corpus.starter import init_project

        folder = root / args.dir
        written = init_project(
            folder, args.parties, args.title, force=args.force, example=not args.bare
        )
        print(f"wrote {len(written)} files into {folder}; next steps are in {folder / 'README.md'}")
        return 0
    if command == "check":
        from ijbrief.build.template_check import check_templates
        from ijbrief.corpus.drafting import draft_problems
        from ijbrief.corpus.fidelity import check
        from ijbrief.corpus.loader import Corpus, load_corpus
        from ijbrief.errors import InputError, TemplateError
        from ijbrief.heap import collector_paused

        corpus: Corpus | None = None
        failed: InputError | None = None
        try:
            with collector_paused():
                corpus = load_corpus(root)
        except InputError as exc:
            failed = exc
        found = check_templates(root, corpus)
        if failed is not None or any(not p.warning for p in found):
            every = [*(failed.problems if failed else corpus.warnings if corpus else []), *found]
            ordered = sorted(p for p in every if not p.warning)
            ordered += sorted(p for p in every if p.warning)
            raise (InputError if failed else TemplateError)(ordered)
        assert corpus is not None
        report = check(corpus)
        drafts = draft_problems(corpus)
        errors = [p for p in report.problems if not p.warning]
        if errors or (args.strict and (report.unsupported or drafts)):
            # What would only warn is what --strict refuses.
            problems = (
                [dataclasses.replace(p, warning=False) for p in [*report.problems, *drafts]]
                if args.strict
                else [*report.problems, *drafts]
            )
            _print_problems(sorted([*corpus.warnings, *found, *problems]))
            print(report.summary(), file=sys.stderr)
            return 1
        for warning in sorted([*corpus.warnings, *found, *report.problems, *drafts]):
            print(warning, file=sys.stderr)
        from ijbrief.compose.textfmt import count_of

        counts = [
            count_of(len(corpus.meetings), "meeting", "meetings"),
            count_of(len(corpus.agreements), "agreement", "agreements"),
            count_of(len(corpus.sources), "source", "sources"),
            count_of(corpus.quotations_verified, "quotation", "quotations") + " verified",
        ]
        print(f"ok: {', '.join(counts)}")
        print(report.summary())
        return 0
    if command == "new" and args.source:
        from ijbrief.corpus.drafting import new_draft

        if args.kind != "meeting":
            raise IjbriefError("--from drafts meetings only")
        path = new_draft(
            root, args.source, title=args.title, ident=args.ident, published=args.published
        )
        print(f"wrote {path.relative_to(root)}: a draft; review every REVIEW mark against "
              f"{args.source}, then run `ijbrief check`")  # fmt: skip
        return 0
    if command == "source":
        from ijbrief.corpus import sources

        if args.action == "add":
            added = sources.add_sources(
                root, args.files, ident=args.ident, title=args.title, outlet=args.outlet,
                published=args.published, kind=args.kind,
            )  # fmt: skip
            for ident in added:
                print(f"added {ident}: seeds/{ident}.txt; draft a meeting with "
                      f"`ijbrief new meeting --from {ident}`")  # fmt: skip
            return 0
        from ijbrief.corpus.loader import load_corpus

        for use in sources.list_sources(load_corpus(root)):
            cited = ", ".join(use.cited_by) or "nothing yet"
            print(f"{use.id:<10} {use.title}\n{'':<10} covers: {', '.join(use.covers) or 'no meeting'}; "
                  f"cited by: {cited}; quotations used: {use.used} of {use.passages}")  # fmt: skip
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
        from ijbrief import accel
        from ijbrief.build import formats as output_formats
        from ijbrief.build.pipeline import BuildOptions, build, earlier_edition

        if args.no_accel:
            accel.turn_off()
        options = BuildOptions(
            root=root,
            formats=output_formats.names() if args.format == "all" else (args.format,),
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
            drafts=args.drafts,
            since_edition=args.since_edition,
            pdf_variant=args.pdf_variant,
        )
        from ijbrief.build.editions import EditionError

        try:
            if args.watch:
                # A watch waits out bad input, but no save fixes a bad --since-edition: it
                # stops the command here, as it stops a plain build.
                earlier_edition(options)
                return _build_and_watch(options)
            build(options)
        except EditionError as exc:
            if args.debug:
                raise
            print(f"ijbrief: {exc.problems[0].message}", file=sys.stderr)
            return 2
        return 0
    if command == "diff":
        from ijbrief.build.editions import EditionError, redline

        try:
            written = redline(args.old, args.new, args.doc, args.out)
        except EditionError as exc:
            if args.debug:
                raise
            print(f"ijbrief: {exc.problems[0].message}", file=sys.stderr)
            return 2
        for path in written:
            print(f"wrote {path}")
        return 0
    if command == "templates":
        from ijbrief.compose import audiences

        if args.action == "list":
            for audience in audiences.discover(root):
                print(f"{audience.name:<12} {audience.origin:<9} {audience.label}")
        elif args.action == "new":
            path = audiences.create(root, args.name, args.base, args.admits)
            print(
                f"wrote {path.relative_to(root)}/ (inherits everything from {args.base} "
                f"but what it admits: {', '.join(dict.fromkeys(args.admits))})"
            )
        elif args.action == "reference":
            from ijbrief.writers.docx_reference import look_of, reference_bytes

            spec = audiences.load_audience(root, args.name).spec
            target = root / "templates" / args.name / "reference.docx"
            if not target.parent.is_dir():
                raise IjbriefError(
                    f"templates/{args.name}/: no such audience folder of the project's own"
                )
            target.write_bytes(reference_bytes(look_of(spec)))
            print(f"wrote {target.relative_to(root)}")
        else:
            for line in audiences.chain(root, args.name):
                print(line)
        return 0
    if command == "serve":
        from ijbrief.web.serve import serve

        out = args.out or root / "out"
        return int(
            serve(
                root,
                out,
                args.host,
                args.port,
                jobs=args.jobs,
                watch=not args.no_watch,
                allow_hosts=args.allow_host,
            )
        )
    if command == "doctor":
        from ijbrief.doctor import doctor

        return int(doctor(root))
    raise AssertionError(command)  # pragma: no cover - argparse restricts commands
