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
import subprocess
import sys
import time
from pathlib import Path

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
source = sys.argv[1]
compiler = typst.Compiler(source)
compiler.compile(output=sys.argv[2])
text = open(source, encoding="utf-8").read()
open(source, "w", encoding="utf-8").write(text.replace("New Delhi", "New Delhi (changed)", 1))
start = time.perf_counter()
compiler.compile(output=sys.argv[2])
print("incremental", time.perf_counter() - start, file=sys.stderr)
"""


def size_mib(path: Path) -> float:
    return path.stat().st_size / 1024 / 1024


def bench(n: int) -> dict[str, float]:
    sys.path.insert(0, str(HERE))
    from generate import generate

    root = generate(WORK / f"n{n}", n)
    out = root / "out"
    r: dict[str, float] = {"N": n}
    r["check_s"], _ = measure(*ijbrief(root, "check"))
    r["pdf_jobs1_s"], r["pdf_jobs1_rss"] = measure(
        *ijbrief(
            root,
            "build",
            "--audience",
            AUDIENCE,
            "--jobs",
            "1",
            "--quiet",
            "--out",
            str(root / "out1"),
        )
    )
    r["pdf_s"], r["pdf_rss"] = measure(*ijbrief(root, "build", "--audience", AUDIENCE, "--quiet"))
    r["noop_s"], _ = measure(*ijbrief(root, "build", "--audience", AUDIENCE, "--quiet"))
    # The dossier alone, cold: briefs are up to date, no part is cached.
    dossier_pdf = out / AUDIENCE / f"{AUDIENCE}-dossier.pdf"
    dossier_pdf.unlink()
    shutil.rmtree(out / ".ijbrief-parts", ignore_errors=True)
    r["dossier_s"], r["dossier_rss"] = measure(
        *ijbrief(root, "build", "--audience", AUDIENCE, "--quiet")
    )
    changed = sorted((root / "briefs/meetings").glob("*sd-18.yaml"))[0]
    changed.write_text(
        changed.read_text(encoding="utf-8").replace("New Delhi", "New Delhi (Hyderabad House)", 1),
        encoding="utf-8",
    )
    r["one_change_s"], _ = measure(*ijbrief(root, "build", "--audience", AUDIENCE, "--quiet"))
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
    typ = WORK / f"n{n}-dossier.typ"
    pypandoc.convert_file(str(markdown), "typst", format="markdown", outputfile=str(typ))
    # pandoc repeats labels (each chapter has an "Overview"-like heading); Typst refuses that.
    import re

    markup = typ.read_text(encoding="utf-8")
    markup = re.sub(r"#link\(<[^>]*>\)\[([^\]]*)\]", r"\1", markup)
    markup = re.sub(r"(?m)^<[^>\n]+>$|(?<=\]) <[^>\n]+>", "", markup)
    typ.write_text(markup, encoding="utf-8")
    start = time.perf_counter()
    result = subprocess.run(
        python(_TYPST, str(typ), str(WORK / f"n{n}-typst.pdf")),
        capture_output=True,
        text=True,
        check=True,
    )
    r["typst_s"] = time.perf_counter() - start
    r["typst_incremental_s"] = float(result.stderr.split()[-1])
    r["typst_cold_s"] = r["typst_s"] - r["typst_incremental_s"]
    return r


def report(rows: list[dict[str, float]]) -> str:
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
        "| N | dossier: WeasyPrint single document | Typst cold | Typst after one change | DOCX build after the PDF build (all briefs + dossier, layouts reused) | the dossier DOCX alone (whole process) | python-docx save floor | pandoc MD→DOCX (dossier) | dossier DOCX MiB |",  # noqa: E501
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {int(r['N'])} | {r['floor_dossier_s']:.1f} ({r['floor_dossier_rss']:.0f} MiB) | {r['typst_cold_s']:.2f} | "
            f"{r['typst_incremental_s']:.2f} | {r['docx_s']:.1f} | {r['dossier_docx_s']:.1f} | "
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
    lines += ["", "Raw numbers:", "", "```json", json.dumps(rows, indent=1), "```", ""]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("sizes", nargs="*", type=int, default=[10, 100, 500])
    args = parser.parse_args()
    WORK.mkdir(exist_ok=True)
    rows = []
    for n in args.sizes:
        print(f"N = {n} …", file=sys.stderr, flush=True)
        rows.append(bench(n))
        (HERE / "RESULTS.md").write_text(report(rows), encoding="utf-8")
    print(report(rows))


if __name__ == "__main__":
    main()
