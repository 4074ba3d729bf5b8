"""Make a synthetic project shaped like the real corpus, with N meetings, for the benchmark.

The real corpus (4 meetings, 12 agreements, people, topics, glossary, seeds) is copied as it is;
N - 4 more meetings are copies of the three fully briefed ones under new ids and dates (a day
apart, within the participants' terms of office),
so every quotation still verifies and every brief is about as long as a real one (~400 words).
"""

from __future__ import annotations

import argparse
import datetime as dt
import shutil
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
TEMPLATES = ("2020-10-07-fmsd-13.yaml", "2022-09-08-two-plus-two-2.yaml", "2026-01-16-sd-18.yaml")


def generate(target: Path, meetings: int) -> Path:
    """Write a complete project with ``meetings`` meetings into ``target`` and return it."""
    if target.exists():
        shutil.rmtree(target)
    for folder in ("seeds", "briefs", "templates"):
        shutil.copytree(REPO / folder, target / folder)
    shutil.copy2(REPO / "project.yaml", target / "project.yaml")
    sources = [(REPO / "briefs/meetings" / name).read_text(encoding="utf-8") for name in TEMPLATES]
    ids = ("fmsd-13", "two-plus-two-2", "sd-18")
    dates = ("2020-10-07", "2022-09-08", "2026-01-16")
    for index in range(max(0, meetings - 4)):
        which = index % 3
        # Stay within the participants' terms of office, which the checker enforces.
        day = dt.date.fromisoformat(dates[which]) + dt.timedelta(days=1 + index // 3)
        ident = f"synthetic-{index + 1:04d}"
        text = sources[which]
        text = text.replace(f"id: {ids[which]}\n", f"id: {ident}\n", 1)
        text = text.replace(f"date: {dates[which]}\n", f"date: {day.isoformat()}\n", 1)
        text = text.replace("series: ", f"series: synthetic-{which}-", 1)
        text = text.replace("title: ", f"title: (Synthetic {index + 1}) ", 1)
        # Synthetic meetings must not claim status steps of real agreements.
        text = "\n".join(
            line for line in text.splitlines() if not line.strip().startswith("agreements:")
        )
        (target / "briefs/meetings" / f"{day.isoformat()}-{ident}.yaml").write_text(
            text + "\n", encoding="utf-8"
        )
    return target


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("meetings", type=int)
    parser.add_argument("target", type=Path)
    args = parser.parse_args()
    generate(args.target, args.meetings)


if __name__ == "__main__":
    main()
