"""`python -m data_model`: look at and maintain the Pathwise database from a terminal.

Without `--as` the command line acts as the local operator, who may see everything.
"""

import argparse
import json
import sys
from collections.abc import Sequence

from sqlalchemy import Engine, func, select

from data_model.config import ConfigurationError, resolve_database_url
from data_model.database import DatabaseUnavailable, open_database, session_factory
from data_model.models import Base


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m data_model",
        description="Inspect and maintain the Pathwise database.",
    )
    parser.add_argument("--db", metavar="URL", help="database URL (default: see README)")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    migrate = commands.add_parser(
        "migrate", help="bring the schema to the newest version (also done on every start)"
    )
    migrate.add_argument("--db", metavar="URL", default=argparse.SUPPRESS, help="database URL")
    status = commands.add_parser(
        "status", help="the database in use and how many rows each table holds"
    )
    status.add_argument("--db", metavar="URL", default=argparse.SUPPRESS, help="database URL")
    status.add_argument("--json", action="store_true", help="print one JSON object")
    return parser


def table_counts(engine: Engine) -> dict[str, int]:
    """Rows per table, in the order the tables depend on each other."""
    with session_factory(engine)() as session:
        return {
            table.name: session.scalar(select(func.count()).select_from(table)) or 0
            for table in Base.metadata.sorted_tables
        }


def main(argv: Sequence[str] | None = None) -> int:
    arguments = build_parser().parse_args(argv)
    try:
        url = resolve_database_url(arguments.db)
        engine = open_database(url)
    except (ConfigurationError, DatabaseUnavailable) as error:
        print(error, file=sys.stderr)
        return 1
    database = engine.url.render_as_string(hide_password=True)
    if arguments.command == "migrate":
        print(f"{database} is at the newest schema version.")
        return 0
    counts = table_counts(engine)
    if arguments.json:
        print(json.dumps({"database": database, "tables": counts}))
    else:
        print(database)
        width = max(len(name) for name in counts)
        for name, count in counts.items():
            print(f"  {name:<{width}}  {count:>12,}")
    return 0
