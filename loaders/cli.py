"""`python -m loaders`: put data into Pathwise. Every subcommand opens (and migrates) the
database named by `--db`, `PATHWISE_DB_URL`, secrets.toml or the local default.
"""

import argparse
import json
import sys
from collections.abc import Sequence
from dataclasses import asdict
from datetime import date

from tqdm import tqdm

from data_model.config import ConfigurationError, resolve_database_url
from data_model.database import DatabaseUnavailable, open_database
from loaders.demo import (
    DEFAULT_PEOPLE,
    DEFAULT_RECORDS_PER_PERSON,
    DEFAULT_SEED,
    DatabaseNotEmpty,
    seed_demo_organisation,
)
from loaders.errors import FileRefused

EXIT_REFUSED = 2


def _positive_int(text: str) -> int:
    value = int(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"{text} is not a positive whole number")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m loaders",
        description="Load frameworks, people, catalogues and learning records into Pathwise.",
    )
    parser.add_argument("--db", metavar="URL", help="database URL (default: see README)")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    demo = commands.add_parser(
        "demo",
        help="write a demo organisation into an empty database",
        description="Write the built-in framework, a demo organisation, a catalogue and two to "
        "three years of learning records. Same seed and date, same data.",
    )
    demo.add_argument("--db", metavar="URL", default=argparse.SUPPRESS, help="database URL")
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


def _run_demo(arguments: argparse.Namespace) -> dict[str, object]:
    engine = open_database(resolve_database_url(arguments.db))
    with tqdm(total=100, unit="%", file=sys.stderr, disable=None, desc="Demo") as bar:

        def progress(fraction: float, message: str) -> None:
            bar.set_postfix_str(message, refresh=False)
            bar.update(round(fraction * 100) - bar.n)

        summary = seed_demo_organisation(
            engine,
            people=arguments.people,
            records_per_person=arguments.records_per_person,
            seed=arguments.seed,
            today=arguments.today,
            progress=progress,
        )
    return {key: str(value) if isinstance(value, date) else value
            for key, value in asdict(summary).items()}  # fmt: skip


def main(argv: Sequence[str] | None = None) -> int:
    arguments = build_parser().parse_args(argv)
    try:
        result = _run_demo(arguments)
    except FileRefused as error:
        print(f"Refused: {error}", file=sys.stderr)
        return EXIT_REFUSED
    except (ConfigurationError, DatabaseUnavailable, DatabaseNotEmpty, ValueError) as error:
        print(error, file=sys.stderr)
        return 1
    print(json.dumps(result))
    return 0
