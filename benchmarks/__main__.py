"""`python -m benchmarks [--people N] [--records N] [--db URL] [--json FILE] [--quick]`

Builds the demo dataset into an empty database (or reuses the one at --db), then measures and
prints one table; the same figures go to --json. Seconds unless the name says otherwise.
"""

import argparse
import json
import sys
import tempfile
from pathlib import Path

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from benchmarks.concurrency import concurrent_renders
from benchmarks.imports import import_csv, write_records_csv
from benchmarks.mastery import reads, rollup_full, rollup_incremental
from benchmarks.measure import peak_rss_mb, timed
from benchmarks.pages import PageFailed, page_renders, quiet_bare_mode_warnings
from benchmarks.pathways import pathway_reads
from data_model.database import open_database
from data_model.models import ImportBatch, Person
from loaders.batches import undo_batch
from loaders.demo import seed_demo_organisation

TARGETS = {
    "rollup_incremental_1k_s": 1.0,
    "person_mastery_s": 0.05,
    "team10_s": 0.1,
    "org_rollup_s": 2.0,
    "page_learner_s": 1.0,
    "page_team_s": 1.0,
    "page_org_s": 1.0,
    "concurrent_p95_s": 3.0,
    "peak_rss_mb": 2048,
}
RATIO_TARGETS = {
    "rollup_full_s": ("rollup_baseline_read_sql_s", 2.5),
    "import_csv_s": ("import_baseline_executemany_s", 4.0),
}
SHOWN_RATIOS = {"import_insert_s": "import_baseline_executemany_s"}
"""Figures without a target of their own, shown against a baseline for comparison."""


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--people", type=int, default=10_000)
    parser.add_argument("--records", type=int, default=1_000_000, help="learning records")
    parser.add_argument("--db", metavar="URL", help="reuse or fill this database")
    parser.add_argument("--json", type=Path, metavar="FILE", help="also write the figures here")
    parser.add_argument(
        "--quick",
        action="store_true",
        help="1,000 people and 50,000 records: a smoke test, no targets",
    )
    return parser.parse_args()


def _verdict(name: str, figures: dict[str, float | int | str], quick: bool) -> str:
    if quick:
        return ""
    if name in TARGETS:
        return "met" if float(figures[name]) <= TARGETS[name] else "MISSED"
    if name in SHOWN_RATIOS:
        return f"{float(figures[name]) / float(figures[SHOWN_RATIOS[name]]):.2f}x baseline"
    if name in RATIO_TARGETS:
        base, factor = RATIO_TARGETS[name]
        ratio = float(figures[name]) / float(figures[base])
        return f"{ratio:.2f}x baseline: " + ("met" if ratio <= factor else "MISSED")
    return ""


def _last_batch(engine: Engine) -> int:
    with Session(engine) as session:
        return session.scalar(select(func.max(ImportBatch.id))) or 0


def main() -> int:
    arguments = _arguments()
    quiet_bare_mode_warnings()
    if arguments.quick:
        arguments.people, arguments.records = 1_000, 50_000
    url = arguments.db or f"sqlite:///{tempfile.mkdtemp(prefix='pathwise-bench-')}/bench.db"
    engine = open_database(url)
    with Session(engine) as session:
        existing = session.scalar(select(func.count()).select_from(Person)) or 0
    figures: dict[str, float | int | str] = {"backend": engine.dialect.name}
    if existing == 0:
        figures["generate_s"], _ = timed(lambda: seed_demo_organisation(
            engine, people=arguments.people,
            records_per_person=arguments.records / arguments.people,
        ))  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="pathwise-import-") as folder:
        records_csv = Path(folder) / "records.csv"
        write_records_csv(engine, records_csv, arguments.records)
        figures.update(import_csv(engine, records_csv))
    undo_batch(engine, _last_batch(engine))
    figures.update(rollup_full(engine))
    figures["rollup_incremental_1k_s"] = rollup_incremental(engine)
    mastery_reads = reads(engine)
    figures["person_mastery_s"] = mastery_reads["person_mastery_s"]
    figures["team10_mastery_s"] = mastery_reads["team10_s"]
    figures.update(pathway_reads(engine))
    url = engine.url.render_as_string(hide_password=False)
    failed = None
    try:
        figures.update(page_renders(url))
        figures.update(concurrent_renders(url))
    except PageFailed as error:
        failed = f"Pages not measured: {error}"
    figures["peak_rss_mb"] = round(peak_rss_mb(), 1)

    print(f"Pathwise benchmark on {engine.url.render_as_string(hide_password=True)}")
    for name, value in figures.items():
        shown = f"{value:.3f}" if isinstance(value, float) else str(value)
        print(f"  {name:<30} {shown:>12}  {_verdict(name, figures, arguments.quick)}")
    if arguments.json:
        arguments.json.write_text(json.dumps(figures, indent=2) + "\n")
    if failed:
        print(failed, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
