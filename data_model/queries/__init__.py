"""Read models for the app: every function scopes its SQL to what the viewer may see.

Each takes a `Session` and the `Viewer`, and returns a pandas DataFrame or a small frozen
dataclass, never ORM objects, so that the app can cache the results.
"""

from data_model.queries.calibration import group_calibration, person_calibration
from data_model.queries.equity import equity_attributes, progression_equity
from data_model.queries.groups import GroupProgress, closest_roles, cohort, group_progress
from data_model.queries.organisation import (
    OrganisationTotals,
    organisation_headcount,
    organisation_totals,
)
from data_model.queries.person import (
    EvidenceTotals,
    PersonSummary,
    competency_evidence,
    evidence_totals,
    person_summary,
)
from data_model.queries.personas import demo_personas
from data_model.queries.programmes import programme_effectiveness
from data_model.queries.team import team_overview

__all__ = [
    "EvidenceTotals",
    "GroupProgress",
    "OrganisationTotals",
    "PersonSummary",
    "closest_roles",
    "cohort",
    "competency_evidence",
    "demo_personas",
    "equity_attributes",
    "evidence_totals",
    "group_calibration",
    "group_progress",
    "organisation_headcount",
    "organisation_totals",
    "person_calibration",
    "person_summary",
    "programme_effectiveness",
    "progression_equity",
    "team_overview",
]
