"""`python -m loaders`: put data into Pathwise and look after what was put in.

Every subcommand opens (and migrates) the database named by `--db`, `PATHWISE_DB_URL`,
secrets.toml or the local default. Every import prints, as its last line, one JSON object
with the batch and its counts; it exits 0 when the batch was applied (even with rejected rows)
and 2 when the file was refused as a whole, in which case nothing was written.
"""

import argparse
import json
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session
from tqdm import tqdm

from data_model.config import ConfigurationError, resolve_database_url
from data_model.database import DatabaseUnavailable, open_database
from loaders.badges import badges_importer
from loaders.batches import (
    BatchError,
    list_batches,
    map_key,
    rejected_rows,
    undo_batch,
    unmapped_keys,
)
from loaders.catalogue_csv import import_catalogue
from loaders.csv_stream import parse_mapping
from loaders.demo import (
    DEFAULT_PEOPLE,
    DEFAULT_RECORDS_PER_PERSON,
    DEFAULT_SEED,
    DatabaseNotEmpty,
    seed_demo_organisation,
)
from loaders.errors import FileRefused
from loaders.framework_import import import_framework
from loaders.mappings import load_mapping, save_mapping
from loaders.pipeline import ImportSummary, run_record_import
from loaders.records_csv import RecordsCsvImporter
from loaders.roster_csv import import_roster
from loaders.xapi import XapiImporter

EXIT_FAILED = 1
EXIT_REFUSED = 2
OPERATOR = "operator"
Progress = Callable[[float, str], None]


def _positive_int(text: str) -> int:
    value = int(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"{text} is not a positive whole number")
    return value


def _db_option(command: argparse.ArgumentParser) -> None:
    command.add_argument("--db", metavar="URL", default=argparse.SUPPRESS, help="database URL")


def _file_command(commands: Any, name: str, help_text: str, mapping: bool = False) -> Any:
    command = commands.add_parser(name, help=help_text, description=help_text)
    command.add_argument("file", type=Path, metavar="FILE")
    _db_option(command)
    if mapping:
        command.add_argument(
            "--map",
            metavar="FIELD=COLUMN,...",
            help="read another export: which of its columns holds each Pathwise field "
            "(FIELD==VALUE for a constant)",
        )
    return command


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m loaders",
        description="Load frameworks, people, catalogues and learning records into Pathwise.",
    )
    parser.add_argument("--db", metavar="URL", help="database URL (default: see README)")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    framework = _file_command(
        commands, "framework", "import a framework (YAML, progression Markdown, or CSV)"
    )
    framework.add_argument("--framework-code", help="put job families into this framework")
    _file_command(commands, "roster", "import people from a roster CSV", mapping=True)
    _file_command(commands, "catalog", "import the activity catalogue CSV", mapping=True)
    records = _file_command(commands, "records", "import learning records CSV", mapping=True)
    records.add_argument("--save-map", metavar="NAME", help="remember --map under this name")
    records.add_argument("--use-map", metavar="NAME", help="use a remembered mapping")
    records.add_argument(
        "--days-from",
        type=date.fromisoformat,
        metavar="YYYY-MM-DD",
        help="occurred_at holds day numbers counted from this date (e.g. OULAD)",
    )
    _file_command(commands, "xapi", "import xAPI statements (JSON, JSON Lines, LRS response)")
    _file_command(commands, "badges", "import Open Badges 3.0 / CLR 2.0 credentials")

    batches = commands.add_parser("batches", help="list import batches")
    _db_option(batches)
    batches.add_argument("--json", action="store_true")
    undo = commands.add_parser("undo", help="remove one batch's records and restore mastery")
    undo.add_argument("batch", type=int, metavar="BATCH")
    _db_option(undo)
    rejected = commands.add_parser("rejected", help="write a batch's rejected rows as CSV")
    rejected.add_argument("batch", type=int, metavar="BATCH")
    rejected.add_argument("--out", type=Path, metavar="FILE", help="default: standard output")
    _db_option(rejected)
    unmapped = commands.add_parser(
        "unmapped", help="records held for unknown people, activities and badge achievements"
    )
    _db_option(unmapped)
    unmapped.add_argument("--json", action="store_true")
    mapped = commands.add_parser(
        "map",
        help="map an unknown key to a person, activity or competency and apply its held records",
    )
    mapped.add_argument("kind", choices=["person", "activity", "achievement"])
    mapped.add_argument("key", help="the key as it appears in `unmapped`")
    mapped.add_argument(
        "target",
        help="person id or email, catalogue activity id, or (for a badge's achievement) "
        "competency code",
    )
    _db_option(mapped)

    demo = commands.add_parser(
        "demo",
        help="write a demo organisation into an empty database",
        description="Write the built-in framework, a demo organisation, a catalogue and two to "
        "three years of learning records. Same seed and date, same data.",
    )
    _db_option(demo)
    demo.add_argument("--people", type=_positive_int, default=DEFAULT_PEOPLE)
    demo.add_argument(
        "--records-per-person",
        type=_positive_int,
        default=DEFAULT_RECORDS_PER_PERSON,
        help="average learning records per person",
    )
    demo.add_argument("--seed", type=int, default=DEFAULT_SEED)
    demo.add_argument(
        "--today",
        type=date.fromisoformat,
        default=None,
        metavar="YYYY-MM-DD",
        help="the date the records count back from (default: today)",
    )
    return parser


@contextmanager
def progress_bar(label: str) -> Iterator[Progress]:
    """A progress bar on standard error (hidden when it is not a terminal)."""
    with tqdm(total=100, unit="%", file=sys.stderr, disable=None, desc=label) as bar:

        def update(fraction: float, message: str) -> None:
            bar.set_postfix_str(message, refresh=False)
            bar.update(max(0, round(fraction * 100) - bar.n))

        yield update


def _print_table(frame: Any, as_json: bool, empty: str) -> None:
    if as_json:
        print(frame.to_json(orient="records", date_format="iso"))
    elif frame.empty:
        print(empty)
    else:
        print(frame.to_string(index=False))


def _records(arguments: argparse.Namespace, engine: Engine) -> dict[str, Any]:
    mapping = load_mapping(engine, arguments.use_map) if arguments.use_map else {}
    mapping |= parse_mapping(arguments.map)
    if arguments.save_map:
        save_mapping(engine, arguments.save_map, mapping, OPERATOR)
    importer = RecordsCsvImporter(mapping, days_from=arguments.days_from)
    with progress_bar("Records") as progress:
        return run_record_import(engine, importer, arguments.file, OPERATOR, progress).as_json()


def _statements(
    make_importer: Callable[[Engine], Any],
) -> Callable[[argparse.Namespace, Engine], dict[str, Any]]:
    def run(arguments: argparse.Namespace, engine: Engine) -> dict[str, Any]:
        importer = make_importer(engine)
        with progress_bar(importer.kind) as progress:
            summary = run_record_import(engine, importer, arguments.file, OPERATOR, progress)
        if "more" in summary.notices:
            print(
                "Warning: this LRS response holds only part of the statements; the rest are "
                f"at {summary.notices['more']}. Fetch that page and import it too.",
                file=sys.stderr,
            )
        return summary.as_json()

    return run


def _framework(arguments: argparse.Namespace, engine: Engine) -> dict[str, Any]:
    result = import_framework(engine, arguments.file, OPERATOR, arguments.framework_code)
    return result.as_json()


def _roster(arguments: argparse.Namespace, engine: Engine) -> dict[str, Any]:
    with progress_bar("Roster") as progress:
        summary = import_roster(
            engine, arguments.file, OPERATOR, parse_mapping(arguments.map), progress
        )
    return summary.as_json()


def _catalog(arguments: argparse.Namespace, engine: Engine) -> dict[str, Any]:
    return import_catalogue(
        engine, arguments.file, OPERATOR, parse_mapping(arguments.map)
    ).as_json()


IMPORTS: dict[str, Callable[[argparse.Namespace, Engine], dict[str, Any]]] = {
    "framework": _framework,
    "roster": _roster,
    "catalog": _catalog,
    "records": _records,
    "xapi": _statements(lambda _engine: XapiImporter()),
    "badges": _statements(badges_importer),
}


def _maintain(arguments: argparse.Namespace, engine: Engine) -> None:
    if arguments.command == "batches":
        with Session(engine) as session:
            _print_table(list_batches(session), arguments.json, "No imports yet.")
    elif arguments.command == "unmapped":
        with Session(engine) as session:
            _print_table(unmapped_keys(session), arguments.json, "Nothing is waiting to be mapped.")
    elif arguments.command == "undo":
        print(json.dumps(asdict(undo_batch(engine, arguments.batch, OPERATOR))))
    elif arguments.command == "map":
        applied = map_key(engine, arguments.kind, arguments.key, arguments.target, OPERATOR)
        print(json.dumps({"kind": arguments.kind, "key": arguments.key, "applied": applied}))
    elif arguments.command == "rejected":
        with Session(engine) as session:
            frame = rejected_rows(session, arguments.batch)
        frame.to_csv(arguments.out or sys.stdout, index=False)


def _demo(arguments: argparse.Namespace, engine: Engine) -> None:
    with progress_bar("Demo") as progress:
        summary = seed_demo_organisation(
            engine,
            people=arguments.people,
            records_per_person=arguments.records_per_person,
            seed=arguments.seed,
            today=arguments.today,
            progress=progress,
        )
    print(json.dumps({key: str(value) if isinstance(value, date) else value
                      for key, value in asdict(summary).items()}))  # fmt: skip


def main(argv: Sequence[str] | None = None) -> int:
    arguments = build_parser().parse_args(argv)
    try:
        engine = open_database(resolve_database_url(arguments.db))
        if arguments.command in IMPORTS:
            try:
                summary = IMPORTS[arguments.command](arguments, engine)
            except FileRefused as error:
                print(f"Refused: {error}", file=sys.stderr)
                refused = ImportSummary(kind=arguments.command)
                refused.add_error(0, None, str(error))
                print(json.dumps(refused.as_json()))
                return EXIT_REFUSED
            print(json.dumps(summary))
        elif arguments.command == "demo":
            _demo(arguments, engine)
        else:
            _maintain(arguments, engine)
    except (ConfigurationError, DatabaseUnavailable, DatabaseNotEmpty, BatchError,
            ValueError) as error:  # fmt: skip
        print(error, file=sys.stderr)
        return EXIT_FAILED
    return 0
