"""`python -m data_model`: look at and maintain the Pathwise database from a terminal.

Without `--as` the command line acts as the local operator, who may see everything.
"""

import argparse
import json
import math
import sys
from collections.abc import Callable, Sequence
from datetime import date, datetime
from typing import Any

import pandas as pd
from sqlalchemy import Engine, func, select
from tqdm import tqdm

from data_model.access import OPERATOR
from data_model.config import ConfigurationError, resolve_database_url
from data_model.database import DatabaseUnavailable, open_database, session_factory
from data_model.mastery_methods import UnknownMethod, parse_method
from data_model.models import Base
from data_model.queries.mastery import (
    NotFound,
    end_of_day,
    explain_mastery,
    find_competency,
    find_person,
    person_mastery,
)
from data_model.rollup import recompute_all

Handler = Callable[[argparse.Namespace, Engine], int]


def _method(text: str) -> str:
    try:
        return str(parse_method(text))
    except UnknownMethod as error:
        raise argparse.ArgumentTypeError(str(error)) from error


def _add_common(command: argparse.ArgumentParser, as_json: bool = True) -> None:
    command.add_argument("--db", metavar="URL", default=argparse.SUPPRESS, help="database URL")
    if as_json:
        command.add_argument("--json", action="store_true", help="print JSON")


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
    _add_common(migrate, as_json=False)
    status = commands.add_parser(
        "status", help="the database in use and how many rows each table holds"
    )
    _add_common(status)

    mastery = commands.add_parser("mastery", help="a person's mastery per competency")
    mastery.add_argument("person", metavar="PERSON", help="external id or email")
    mastery.add_argument("--competency", metavar="CODE")
    mastery.add_argument(
        "--method",
        type=_method,
        metavar="NAME[:PARAM]",
        help="evidence (default), highest, latest, average, weighted_average:W, "
        "decaying_average:W or n_mastery:N",
    )
    mastery.add_argument("--as-of", type=date.fromisoformat, metavar="YYYY-MM-DD")
    _add_common(mastery)

    explain = commands.add_parser(
        "explain", help="every piece of evidence behind one mastery number"
    )
    explain.add_argument("person", metavar="PERSON", help="external id or email")
    explain.add_argument("competency", metavar="COMPETENCY", help="competency code")
    explain.add_argument("--method", type=_method, metavar="NAME[:PARAM]")
    explain.add_argument("--as-of", type=date.fromisoformat, metavar="YYYY-MM-DD")
    _add_common(explain)

    recompute = commands.add_parser(
        "recompute", help="rebuild the materialised mastery table from every record"
    )
    _add_common(recompute, as_json=False)
    return parser


def table_counts(engine: Engine) -> dict[str, int]:
    """Rows per table, in the order the tables depend on each other."""
    with session_factory(engine)() as session:
        return {
            table.name: session.scalar(select(func.count()).select_from(table)) or 0
            for table in Base.metadata.sorted_tables
        }


def _plain(value: Any) -> Any:
    """JSON-ready: no NaN, no pandas timestamps, numbers rounded for people."""
    if isinstance(value, float):
        return None if math.isnan(value) else round(value, 4)
    if isinstance(value, pd.Timestamp | datetime | date):
        return value.isoformat()
    if hasattr(value, "item"):
        return _plain(value.item())
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return value


def _records(frame: pd.DataFrame, columns: Sequence[str]) -> list[dict[str, Any]]:
    return [{column: _plain(row[column]) for column in columns} for row in frame.to_dict("records")]


def _as_of(arguments: argparse.Namespace) -> datetime | None:
    return end_of_day(arguments.as_of) if arguments.as_of else None


def _status(arguments: argparse.Namespace, engine: Engine) -> int:
    counts = table_counts(engine)
    database = engine.url.render_as_string(hide_password=True)
    if arguments.json:
        print(json.dumps({"database": database, "tables": counts}))
        return 0
    print(database)
    width = max(len(name) for name in counts)
    for name, count in counts.items():
        print(f"  {name:<{width}}  {count:>12,}")
    return 0


MASTERY_FIELDS = ("competency", "mastery", "level", "support", "confidence", "met_proficient",
                  "evidence_count", "last_evidence_at")  # fmt: skip


def _mastery(arguments: argparse.Namespace, engine: Engine) -> int:
    with session_factory(engine)() as session:
        person_id = find_person(session, arguments.person)
        competency_id = (
            find_competency(session, arguments.competency) if arguments.competency else None
        )
        frame = person_mastery(
            session, OPERATOR, person_id, _as_of(arguments), arguments.method, competency_id
        )
    rows = _records(frame, MASTERY_FIELDS)
    if arguments.json:
        print(json.dumps(rows))
    elif not rows:
        print("No usable evidence yet.")
    else:
        print(pd.DataFrame(rows).to_string(index=False))
    return 0


EXPLAIN_FIELDS = ("record_id", "occurred_at", "source_kind", "value", "at_least", "trust",
                  "recency", "weight", "expired", "relevant_levels", "share")  # fmt: skip


def _explain(arguments: argparse.Namespace, engine: Engine) -> int:
    with session_factory(engine)() as session:
        person_id = find_person(session, arguments.person)
        competency_id = find_competency(session, arguments.competency)
        explanation = explain_mastery(
            session, OPERATOR, person_id, competency_id, _as_of(arguments), arguments.method
        )
    summary = {key: _plain(value) for key, value in explanation.summary.items()}
    evidence = _records(explanation.evidence, EXPLAIN_FIELDS)
    if arguments.json:
        print(json.dumps({"summary": summary, "evidence": evidence}))
        return 0
    if not summary:
        print("No usable evidence yet.")
        return 0
    print(f"{summary['competency']} {summary['name']}: mastery {summary['mastery']} "
          f"({summary['level']}), support {summary['support']}, "
          f"confidence {summary['confidence']}")  # fmt: skip
    print(pd.DataFrame(evidence).to_string(index=False))
    return 0


def _recompute(_arguments: argparse.Namespace, engine: Engine) -> int:
    with tqdm(total=100, unit="%", file=sys.stderr, disable=None, desc="Mastery") as bar:
        summary = recompute_all(
            engine, progress=lambda fraction, _message: bar.update(round(fraction * 100) - bar.n)
        )
    print(json.dumps({"people": summary.people, "pairs": summary.pairs,
                      "as_of": summary.as_of.isoformat()}))  # fmt: skip
    return 0


def _migrate(_arguments: argparse.Namespace, engine: Engine) -> int:
    print(f"{engine.url.render_as_string(hide_password=True)} is at the newest schema version.")
    return 0


HANDLERS: dict[str, Handler] = {
    "migrate": _migrate,
    "status": _status,
    "mastery": _mastery,
    "explain": _explain,
    "recompute": _recompute,
}


def main(argv: Sequence[str] | None = None) -> int:
    arguments = build_parser().parse_args(argv)
    try:
        engine = open_database(resolve_database_url(arguments.db))
        return HANDLERS[arguments.command](arguments, engine)
    except (ConfigurationError, DatabaseUnavailable, NotFound) as error:
        print(error, file=sys.stderr)
        return 1
