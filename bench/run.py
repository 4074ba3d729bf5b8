"""Benchmark ijbrief against its engine floors and its peers on synthetic corpora of N meetings.

Measures, on this machine, for each N: `check`; a full PDF build with --jobs 1 and with all cores;
a no-op rebuild; a rebuild after one meeting's text changes; the DOCX build; and, on the same
content, the floors and the peers: WeasyPrint rendering the same final HTML with nothing around it,
python-docx saving the same documents, pandoc converting equivalent Markdown to DOCX, and Typst
compiling equivalent markup (cold, then again after one meeting changes). Writes bench/RESULTS.md.

    python bench/run.py 10 100 500      # pypandoc-binary and typst are benchmark-only dependencies
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
WORK = HERE / "work"
AUDIENCE = "analyst"

_MEASURE = """
import resource, subprocess, sys, time
start = time.perf_counter()
code = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL).returncode
seconds = time.perf_counter() - start
print(seconds, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, code)
"""


def measure(*command: str) -> tuple[float, float]:
    """Wall time (s) and peak RSS (MiB) of a command run in a fresh process."""
    out = subprocess.run(
        [sys.executable, "-c", _MEASURE, *command], capture_output=True, text=True, check=True
    )
    seconds, rss_kib, code = out.stdout.split()
    if code != "0":
        raise SystemExit(f"failed ({code}): {' '.join(command)}")
    return float(seconds), int(rss_kib) / 1024


def ijbrief(root: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "ijbrief", "-C", str(root), *args]


def python(code: str, *args: str) -> list[str]:
    return [sys.executable, "-c", code, *args]


_WEASY_FLOOR = """
import sys
from pathlib import Path
from weasyprint import HTML
for path in sys.argv[1:]:
    HTML(filename=path).write_pdf()
"""

_WEASY_WARM_UP = """
from weasyprint import HTML
HTML(string="<p style='font-family: serif'>India–Japan 日本 भारत</p>").write_pdf()
"""

_WEASY_SINGLE = """
import sys
from weasyprint import HTML
HTML(filename=sys.argv[1]).write_pdf(sys.argv[2])
"""

_DOCX_FLOOR = """
import io, sys
import docx
for path in sys.argv[1:]:
    docx.Document(path).save(io.BytesIO())
"""

_PANDOC = """
import sys, pypandoc
pypandoc.convert_file(sys.argv[1], "docx", format="markdown", outputfile=sys.argv[2])
"""

_TYPST = """
import sys, time, typst
source, output, *versions = sys.argv[1:]
base = open(source, encoding="utf-8").read()
start = time.perf_counter()
compiler = typst.Compiler(source)
compiler.compile(output=output)
print("cold", time.perf_counter() - start, file=sys.stderr)
for version in versions:
    changed = open(version, encoding="utf-8").read()
    assert changed != base
    open(source, "w", encoding="utf-8").write(changed)
    start = time.perf_counter()
    compiler.compile(output=output)
    print("incremental", time.perf_counter() - start, file=sys.stderr)
    open(source, "w", encoding="utf-8").write(base)
    compiler.compile(output=output)  # back to where the next change starts
"""

# What the dossier's stylesheet does, said in Typst: A4 with 18 mm margins, a running header,
# "Page X of Y", the same fonts (Japanese and Devanagari included), each chapter on a new page,
# and contents that Typst lays out with their page numbers.
_TYPST_PREAMBLE = """#set document(title: "India–Japan: the record")
#set page(paper: "a4", margin: 18mm,
  header: context { if counter(page).get().first() > 1 [
    #set text(size: 8pt); India–Japan: the record] },
  footer: context { if counter(page).get().first() > 1 [
    #set text(size: 8pt); #align(center)[Page #counter(page).display() of
    #counter(page).final().first()]] })
#set text(font: ("Noto Serif", "Noto Serif Devanagari", "Noto Sans CJK JP"), size: 10pt)
#show heading: set text(font: ("Noto Sans", "Noto Sans Devanagari", "Noto Sans CJK JP"))
#show heading.where(level: 1): it => { pagebreak(weak: true); it }
"""

# One meeting's text changes: an outcome point of the 18th Strategic Dialogue (its brief and its
# dossier chapter change), then its summary (the dossier's overview table changes too).
EDITS = {
    "outcome": (
        "boost startup cooperation.",
        "boost startup cooperation and venture funds.",
    ),
    "summary": ("summary:\n  text: >-\n", "summary:\n  text: >-\n    In short:\n"),
}


def typst_markup(markdown: Path) -> str:
    """The dossier as Typst markup: pandoc's conversion of the Markdown, made to compile, with
    the preamble above and Typst's own contents in place of the copied list."""
    import re

    import pypandoc

    markup = pypandoc.convert_file(str(markdown), "typst", format="markdown")
    # pandoc repeats labels (each chapter has an "Overview"-like heading); Typst refuses that.
    markup = re.sub(r"#link\(<[^>]*>\)\[([^\]]*)\]", r"\1", markup)
    markup = re.sub(r"(?m)^<[^>\n]+>$|(?<=\]) <[^>\n]+>", "", markup)
    # pandoc wraps sections in blocks, and Typst breaks pages only outside blocks.
    markup = markup.replace("#block[", "#[")
    markup = re.sub(
        r"(?s)== Contents\n.*?(?=\n#\[\n= Overview)", "#outline(depth: 1)\n", markup, count=1
    )
    return _TYPST_PREAMBLE + markup


def edit(root: Path, which: str, undo: bool = False) -> None:
    """Make (or undo) one of EDITS in the 18th Strategic Dialogue's file."""
    path = sorted((root / "briefs/meetings").glob("*sd-18.yaml"))[0]
    old, new = EDITS[which]
    if undo:
        old, new = new, old
    text = path.read_text(encoding="utf-8")
    if old not in text:
        raise SystemExit(f"bench: cannot make the {which} edit in {path}")
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def watched_rebuilds(root: Path) -> dict[str, float]:
    """`ijbrief build --watch`: the time of the rebuild after each edit, as the build reports it,
    and from saving the file to the rebuild's end (which adds the watcher's polling)."""
    import re

    process = subprocess.Popen(
        ijbrief(root, "build", "--audience", AUDIENCE, "--watch"),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stderr is not None

    def wait_for(pattern: str) -> re.Match[str]:
        for line in process.stderr:  # type: ignore[union-attr]
            found = re.search(pattern, line)
            if found:
                return found
            if "error" in line:
                raise SystemExit(f"bench: the watched build failed: {line.strip()}")
        raise SystemExit("bench: ijbrief build --watch stopped")

    times: dict[str, float] = {}
    try:
        wait_for(r"^ijbrief: watching")
        for which in EDITS:
            for undo in (False, True):
                time.sleep(1)  # a person saves into an idle watcher, not as a rebuild ends
                saved = time.perf_counter()
                edit(root, which, undo)
                seconds = float(wait_for(r"^built .* in ([0-9.]+)s")[1])
                if not undo:
                    times[f"watch_{which}_s"] = seconds
                    times[f"watch_{which}_wall_s"] = time.perf_counter() - saved
    finally:
        process.terminate()
        process.wait(timeout=60)
    return times


def size_mib(path: Path) -> float:
    return path.stat().st_size / 1024 / 1024


def bench(n: int) -> dict[str, Any]:
    sys.path.insert(0, str(HERE))
    from generate import generate

    root = generate(WORK / f"n{n}", n)
    out = root / "out"
    r: dict[str, Any] = {"N": n}
    r["check_s"], _ = measure(*ijbrief(root, "check"))
    # A full build on one core and on all, alternately and several times where a build is short
    # (run-to-run variation on this machine is 5-10%, as large as what is measured): medians.
    # Tagged PDF/UA-1 (the default) against the untagged PDF of before, in the same rounds: a
    # separate, later run once measured the machine's drift as much as the tagging.
    one_core, all_cores, untagged = [], [], []
    for _ in range(5 if n <= 10 else 3 if n <= 100 else 1):
        shutil.rmtree(root / "out1", ignore_errors=True)
        shutil.rmtree(out, ignore_errors=True)
        shutil.rmtree(root / "out-untagged", ignore_errors=True)
        build = ijbrief(root, "build", "--audience", AUDIENCE, "--quiet")
        one_core.append(measure(*build, "--jobs", "1", "--out", str(root / "out1")))
        all_cores.append(measure(*build))
        untagged.append(
            measure(*build, "--pdf-variant", "none", "--out", str(root / "out-untagged"))[0]
        )
    r["pdf_jobs1_s"] = statistics.median(s for s, _ in one_core)
    r["pdf_jobs1_rss"] = max(rss for _, rss in one_core)
    r["pdf_s"] = statistics.median(s for s, _ in all_cores)
    r["pdf_rss"] = max(rss for _, rss in all_cores)
    r["jobs_speedups"] = [
        round(a / b, 3) for (a, _), (b, _) in zip(one_core, all_cores, strict=True)
    ]
    r["noop_s"], _ = measure(*ijbrief(root, "build", "--audience", AUDIENCE, "--quiet"))
    r["untagged_s"] = statistics.median(untagged)
    r["tagged_mib"] = sum(size_mib(p) for p in (out / AUDIENCE).rglob("*.pdf"))
    r["untagged_mib"] = sum(size_mib(p) for p in (root / "out-untagged" / AUDIENCE).rglob("*.pdf"))
    # The dossier alone, cold: briefs are up to date, no part is cached.
    dossier_pdf = out / AUDIENCE / f"{AUDIENCE}-dossier.pdf"
    dossier_pdf.unlink()
    shutil.rmtree(out / ".ijbrief-parts", ignore_errors=True)
    r["dossier_s"], r["dossier_rss"] = measure(
        *ijbrief(root, "build", "--audience", AUDIENCE, "--quiet")
    )
    edit(root, "outcome")
    r["one_change_s"], _ = measure(*ijbrief(root, "build", "--audience", AUDIENCE, "--quiet"))
    edit(root, "outcome", undo=True)
    measure(*ijbrief(root, "build", "--audience", AUDIENCE, "--quiet"))
    r.update(watched_rebuilds(root))
    r["html_s"], _ = measure(
        *ijbrief(root, "build", "--audience", AUDIENCE, "--format", "html", "--quiet")
    )
    briefs_html = sorted(str(p) for p in (out / AUDIENCE / "briefs").glob("*.html"))
    dossier_html = str(out / AUDIENCE / f"{AUDIENCE}-dossier.html")
    r["floor_briefs_s"], _ = measure(*python(_WEASY_FLOOR, *briefs_html))
    r["floor_dossier_s"], r["floor_dossier_rss"] = measure(*python(_WEASY_FLOOR, dossier_html))
    single = WORK / f"n{n}-single-document.pdf"
    measure(*python(_WEASY_SINGLE, dossier_html, str(single)))
    r["single_pdf_mib"] = size_mib(single)
    r["dossier_pdf_mib"] = size_mib(out / AUDIENCE / f"{AUDIENCE}-dossier.pdf")
    r["docx_s"], r["docx_rss"] = measure(
        *ijbrief(root, "build", "--audience", AUDIENCE, "--format", "docx", "--quiet")
    )
    (out / AUDIENCE / f"{AUDIENCE}-dossier.docx").unlink()
    r["dossier_docx_s"], _ = measure(
        *ijbrief(root, "build", "--audience", AUDIENCE, "--format", "docx", "--quiet")
    )
    docx_files = sorted(str(p) for p in (out / AUDIENCE).rglob("*.docx"))
    r["floor_docx_s"], _ = measure(*python(_DOCX_FLOOR, *docx_files))
    r["dossier_docx_mib"] = size_mib(out / AUDIENCE / f"{AUDIENCE}-dossier.docx")
    import pypandoc

    markdown = WORK / f"n{n}-dossier.md"
    pypandoc.convert_file(dossier_html, "markdown", format="html", outputfile=str(markdown))
    r["pandoc_docx_s"], _ = measure(
        *python(_PANDOC, str(markdown), str(WORK / f"n{n}-pandoc.docx"))
    )
    # Typst recompiles the same changes: the dossier as converted before and after each edit.
    typ = WORK / f"n{n}-dossier.typ"
    typ.write_text(typst_markup(markdown), encoding="utf-8")
    versions = []
    for which in EDITS:
        edit(root, which)
        html_build = ijbrief(root, "build", "--audience", AUDIENCE, "--format", "html", "--quiet")
        subprocess.run(html_build, check=True)
        changed_md = WORK / f"n{n}-dossier-{which}.md"
        pypandoc.convert_file(dossier_html, "markdown", format="html", outputfile=str(changed_md))
        changed = WORK / f"n{n}-dossier-{which}.typ"
        changed.write_text(typst_markup(changed_md), encoding="utf-8")
        versions.append(str(changed))
        edit(root, which, undo=True)
    subprocess.run(html_build, check=True)
    result = subprocess.run(
        python(_TYPST, str(typ), str(WORK / f"n{n}-typst.pdf"), *versions),
        capture_output=True,
        text=True,
        check=True,
    )
    times = [line.split() for line in result.stderr.splitlines()]
    r["typst_cold_s"] = next(float(t[-1]) for t in times if t[0] == "cold")
    recompiles = [float(t[-1]) for t in times if t[0] == "incremental"]
    for which, seconds in zip(EDITS, recompiles, strict=True):
        r[f"typst_{which}_s"] = seconds
    return r


def report(rows: list[dict[str, Any]]) -> str:
    lines = [
        "# Benchmark results",
        "",
        f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; "
        f"audience `{AUDIENCE}`; synthetic corpora from `bench/generate.py` (N meetings + 12 agreements).",
        "Made by `python bench/run.py "
        + " ".join(str(int(r["N"])) for r in rows)
        + "`. Times in seconds, RSS in MiB.",
        "",
        "| N | check | PDF build --jobs 1 | PDF build (all cores) | speed-up | WeasyPrint floor (briefs + dossier) | overhead vs floor | no-op rebuild | one meeting changed | PDF peak RSS | dossier PDF MiB |",  # noqa: E501
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        floor = r["floor_briefs_s"] + r["floor_dossier_s"]
        lines.append(
            f"| {int(r['N'])} | {r['check_s']:.2f} | {r['pdf_jobs1_s']:.1f} | {r['pdf_s']:.1f} | "
            f"{r['pdf_jobs1_s'] / r['pdf_s']:.2f}× | {floor:.1f} | {r['pdf_jobs1_s'] / floor:.2f}× | "
            f"{r['noop_s']:.2f} | {r['one_change_s']:.1f} | {r['pdf_rss']:.0f} | {r['dossier_pdf_mib']:.1f} |"
        )
    lines += [
        "",
        "PDF builds on 1 and on all cores: medians of alternate runs (5 at N ≤ 10, 3 at N ≤ 100,",
        "else 1); the speed-up of each pair: "
        + "; ".join(
            f"N = {int(r['N'])}: " + ", ".join(f"{x:.2f}" for x in r["jobs_speedups"]) for r in rows
        )
        + ".",
        "",
        "| N | dossier: WeasyPrint single document | Typst cold | Typst after one change | DOCX build after the PDF build (all briefs + dossier, layouts reused) | the dossier DOCX alone (whole process) | python-docx save floor | pandoc MD→DOCX (dossier) | dossier DOCX MiB |",  # noqa: E501
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {int(r['N'])} | {r['floor_dossier_s']:.1f} ({r['floor_dossier_rss']:.0f} MiB) | {r['typst_cold_s']:.2f} | "
            f"{r['typst_outcome_s']:.2f} | {r['docx_s']:.1f} | {r['dossier_docx_s']:.1f} | "
            f"{r['floor_docx_s']:.1f} | {r['pandoc_docx_s']:.1f} | "
            f"{r['dossier_docx_mib']:.1f} |"
        )
    lines += [
        "",
        "The dossier alone (briefs up to date, no part cached), against WeasyPrint laying out the",
        "same final HTML as one document; the targets are at most 0.6× its time, 1 GiB and 1.5×",
        "its file size:",
        "",
        "| N | dossier build | single document | ratio | peak RSS MiB | PDF MiB | single-document PDF MiB | size ratio |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {int(r['N'])} | {r['dossier_s']:.1f} | {r['floor_dossier_s']:.1f} | "
            f"{r['dossier_s'] / r['floor_dossier_s']:.2f}× | {r['dossier_rss']:.0f} | "
            f"{r['dossier_pdf_mib']:.2f} | {r['single_pdf_mib']:.2f} | "
            f"{r['dossier_pdf_mib'] / r['single_pdf_mib']:.2f}× |"
        )
    lines += [
        "",
        "After one meeting's text changes (an outcome point of the 18th Strategic Dialogue, then",
        "its summary, which the dossier's overview table shows too): `ijbrief build` in a new",
        "process; `ijbrief build --watch` as it reports the rebuild (and from the save to the end",
        "of the rebuild, which adds the watcher's wait for the file to settle); Typst recompiling",
        "the same change in a warm compiler: the dossier as pandoc converts it before and after",
        "the edit, with the same page setup, fonts and contents:",
        "",
        "| N | new process, outcome | watched, outcome | Typst, outcome | watched, summary | Typst, summary |",
        "|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {int(r['N'])} | {r['one_change_s']:.1f} | {r['watch_outcome_s']:.2f} "
            f"({r['watch_outcome_wall_s']:.2f}) | {r['typst_outcome_s']:.2f} | "
            f"{r['watch_summary_s']:.2f} ({r['watch_summary_wall_s']:.2f}) | "
            f"{r['typst_summary_s']:.2f} |"
        )
    lines += [
        "",
        "Tagged PDF/UA-1 (the default) against untagged (`--pdf-variant none`): a full PDF build",
        "on all cores, and the size of every PDF it writes; the target is at most 1.15× in time:",
        "",
        "| N | tagged build | untagged build | time ratio | tagged PDFs MiB | untagged PDFs MiB | size ratio |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {int(r['N'])} | {r['pdf_s']:.1f} | {r['untagged_s']:.1f} | "
            f"{r['pdf_s'] / r['untagged_s']:.2f}× | {r['tagged_mib']:.2f} | "
            f"{r['untagged_mib']:.2f} | {r['tagged_mib'] / r['untagged_mib']:.2f}× |"
        )
    lines += ["", "Raw numbers:", "", "```json", json.dumps(rows, indent=1), "```", ""]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("sizes", nargs="*", type=int, default=[10, 100, 500])
    args = parser.parse_args()
    WORK.mkdir(exist_ok=True)
    # The first process to load the fonts pays for reading them from disk: not ijbrief's cost.
    measure(*python(_WEASY_WARM_UP))
    rows = []
    for n in args.sizes:
        print(f"N = {n} …", file=sys.stderr, flush=True)
        rows.append(bench(n))
        (HERE / "RESULTS.md").write_text(report(rows), encoding="utf-8")
    print(report(rows))


if __name__ == "__main__":
    main()
