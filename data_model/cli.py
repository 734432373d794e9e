"""`python -m data_model`: look at and maintain the Pathwise database from a terminal.

Without `--as` the command line acts as the local operator, who may see everything.
"""

import argparse
import json
import math
import sys
from collections.abc import Callable, Sequence
from dataclasses import asdict
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy import Engine, func, select
from tqdm import tqdm

from data_model.access import OPERATOR, NotPermitted, Viewer, viewer_for_email
from data_model.audit import record_denied
from data_model.backup import backup, restore
from data_model.config import ConfigurationError, resolve_database_url
from data_model.database import DatabaseUnavailable, open_database, session_factory
from data_model.mastery_methods import UnknownMethod, parse_method
from data_model.models import Base
from data_model.queries.groups import GAP_SUMMARY_COLUMNS, group_progress
from data_model.queries.mastery import (
    NotFound,
    end_of_day,
    explain_mastery,
    find_competency,
    find_person,
    person_mastery,
)
from data_model.queries.progress import Progress, candidates, person_progress, team_progress
from data_model.rollup import recompute_all

Handler = Callable[[argparse.Namespace, Engine], int]
VIEWER_COMMANDS = ("mastery", "explain", "progress", "team", "candidates")
"""The commands that read a person's data, and so take `--as EMAIL`."""
NOT_PERMITTED_EXIT = 3


class UnknownViewer(LookupError):
    """`--as` names an email that is not an active person in the roster."""


def _viewer(arguments: argparse.Namespace, engine: Engine) -> Viewer:
    """Whose eyes the command answers through: `--as EMAIL`, else the local operator."""
    email = getattr(arguments, "as_email", None)
    if email is None:
        return OPERATOR
    with session_factory(engine)() as session:
        viewer = viewer_for_email(session, email)
    if viewer is None:
        raise UnknownViewer(f"--as {email}: no active person in the roster has that email.")
    return viewer


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

    progress = commands.add_parser(
        "progress", help="a person's pathway level, readiness for the next, gaps and next steps"
    )
    progress.add_argument("person", metavar="PERSON", help="external id or email")
    progress.add_argument("--as-of", type=date.fromisoformat, metavar="YYYY-MM-DD")
    _add_common(progress)

    team = commands.add_parser("team", help="pathway progress of a manager's team")
    team.add_argument("manager", metavar="MANAGER", help="external id or email")
    team.add_argument("--all-levels", action="store_true", help="everyone below, not just reports")
    _add_common(team)

    candidates = commands.add_parser("candidates", help="who is closest to a job family level")
    candidates.add_argument("family", metavar="FAMILY", help="job family code")
    candidates.add_argument("level", metavar="LEVEL", type=int, help="pathway rank")
    candidates.add_argument("--limit", type=int, default=10, metavar="N")
    _add_common(candidates)

    recompute = commands.add_parser(
        "recompute", help="rebuild the materialised mastery table from every record"
    )
    _add_common(recompute, as_json=False)

    backup = commands.add_parser(
        "backup", help="copy the whole database to FILE (SQLite online backup, or pg_dump)"
    )
    backup.add_argument("file", metavar="FILE", type=Path)
    _add_common(backup, as_json=False)
    restore = commands.add_parser(
        "restore", help="replace the whole database with the backup in FILE, then migrate it"
    )
    restore.add_argument("file", metavar="FILE", type=Path)
    _add_common(restore, as_json=False)
    for name in VIEWER_COMMANDS:
        commands.choices[name].add_argument(
            "--as",
            dest="as_email",
            metavar="EMAIL",
            help="answer as this roster person would see it (default: the local operator, "
            "who sees everyone)",
        )
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
            session, arguments.viewer, person_id, _as_of(arguments), arguments.method, competency_id
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
            session, arguments.viewer, person_id, competency_id, _as_of(arguments), arguments.method
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


PROGRESS_FIELDS = ("person", "job_family", "title_level", "attained_level", "next_level",
                   "readiness", "ready", "status", "gaps", "velocity_per_month", "forecast_ready",
                   "recommendations")  # fmt: skip


def _progress_json(progress: Progress) -> dict[str, Any]:
    data = asdict(progress)
    data["gaps"] = [{key: _plain(gap[key]) for key in GAP_FIELDS} for gap in data["gaps"]]
    data["recommendations"] = [
        {**step, "competencies": list(step["competencies"])} for step in data["recommendations"]
    ]
    return {field: _plain(data[field]) for field in PROGRESS_FIELDS}


GAP_FIELDS = ("competency", "required", "mastery", "support", "missing")


def _print_progress(progress: Progress) -> None:
    level = "none" if progress.attained_level is None else progress.attained_level
    readiness = "-" if progress.readiness is None else f"{progress.readiness:.0%}"
    print(f"{progress.name} ({progress.person}), {progress.job_family or 'no job family'}: "
          f"title level {progress.title_level}, attained {level}, next {progress.next_level}, "
          f"readiness {readiness}, {progress.status}, "
          f"forecast {progress.forecast_ready or '-'}")  # fmt: skip
    for gap in progress.gaps:
        print(f"  gap {gap.competency} >= {gap.required}: mastery {_plain(gap.mastery)}, "
              f"support {_plain(gap.support)}, needs {gap.missing}")  # fmt: skip
    for step in progress.recommendations:
        print(f"  next step: {step.activity} ({', '.join(step.competencies)}, {step.hours} h)")


def _progress(arguments: argparse.Namespace, engine: Engine) -> int:
    with session_factory(engine)() as session:
        person_id = find_person(session, arguments.person)
        progress = person_progress(session, arguments.viewer, person_id, _as_of(arguments))
    if arguments.json:
        print(json.dumps(_progress_json(progress)))
    else:
        _print_progress(progress)
    return 0


def _team(arguments: argparse.Namespace, engine: Engine) -> int:
    with session_factory(engine)() as session:
        manager_id = find_person(session, arguments.manager)
        team = team_progress(session, arguments.viewer, manager_id, arguments.all_levels)
        group = group_progress(session, arguments.viewer, manager_id=manager_id,
                               all_levels=arguments.all_levels)  # fmt: skip
    figures = {
        "level_distribution": team.level_distribution,
        "readiness_distribution": team.readiness_distribution,
        "share_ready": _plain(team.share_ready),
        "gap_matrix": {
            person: {code: missing for code, missing in row.items() if isinstance(missing, str)}
            for person, row in team.gap_matrix.to_dict("index").items()
        },
        "top_gaps": _records(group.top_gaps, GAP_SUMMARY_COLUMNS),
        "top_gaps_by_size": _records(group.top_gaps_by_size, GAP_SUMMARY_COLUMNS),
    }
    if arguments.json:
        print(json.dumps({"people": [_progress_json(p) for p in team.people], **figures}))
        return 0
    if not team.people:
        print("No reports.")
        return 0
    for progress in team.people:
        _print_progress(progress)
    print(json.dumps(figures, indent=2))
    return 0


def _candidates(arguments: argparse.Namespace, engine: Engine) -> int:
    with session_factory(engine)() as session:
        found = candidates(
            session, arguments.viewer, arguments.family, arguments.level, arguments.limit
        )
    rows = [asdict(c) for c in found]
    for row in rows:
        row["gaps"] = [{key: _plain(gap[key]) for key in GAP_FIELDS} for gap in row["gaps"]]
    if arguments.json:
        print(json.dumps([{key: _plain(value) for key, value in row.items()} for row in rows]))
        return 0
    for c in found:
        hours = "-" if c.catalogue_hours is None else f"{c.catalogue_hours:g} h"
        print(f"{c.readiness:6.0%}  {c.name} ({c.person}, {c.job_family or 'no job family'}): "
              f"{len(c.gaps)} gaps, catalogue {hours}")  # fmt: skip
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


def _backup(arguments: argparse.Namespace, engine: Engine) -> int:
    print(backup(engine, arguments.file))
    return 0


def _restore(arguments: argparse.Namespace, engine: Engine) -> int:
    print(restore(engine, arguments.file))
    return 0


HANDLERS: dict[str, Handler] = {
    "migrate": _migrate,
    "status": _status,
    "mastery": _mastery,
    "explain": _explain,
    "recompute": _recompute,
    "progress": _progress,
    "team": _team,
    "candidates": _candidates,
    "backup": _backup,
    "restore": _restore,
}


def main(argv: Sequence[str] | None = None) -> int:
    arguments = build_parser().parse_args(argv)
    try:
        engine = open_database(resolve_database_url(arguments.db))
        arguments.viewer = _viewer(arguments, engine)
        return HANDLERS[arguments.command](arguments, engine)
    except (ConfigurationError, DatabaseUnavailable, NotFound) as error:
        print(error, file=sys.stderr)
        return 1
    except UnknownViewer as error:
        print(error, file=sys.stderr)
        return NOT_PERMITTED_EXIT
    except NotPermitted as refusal:
        record_denied(engine, arguments.viewer, refusal, command=arguments.command)
        print("not permitted", file=sys.stderr)
        return NOT_PERMITTED_EXIT
