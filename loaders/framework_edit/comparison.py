"""Everyone's attained level and mastery under the current mastery settings and under proposed
ones, computed live and writing nothing: the machinery behind the settings previews."""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from data_model import pathways as rules_of
from data_model.access import Viewer, visible_people
from data_model.evidence_source import competency_rules, raw_evidence_query, read_raw_evidence
from data_model.mastery import PAIR, CompetencyRules, read_evidence, roll_up, weigh
from data_model.mastery_settings import MasterySettings
from data_model.models import JobFamily, PathwayLevel, Person, SourceKind
from data_model.queries.evidence import read_frame
from data_model.queries.progress import _pathways
from data_model.rollup import PEOPLE_PER_CHUNK
from loaders.framework_edit.common import Progress

MASTERY_STEP = 0.01
"""Mastery is shown to two decimals: a smaller move is no change."""
SETTING_COLUMNS = ["method", "half_life_days", "minimum_support",
                   *(f"trust_{kind.value}" for kind in SourceKind)]  # fmt: skip
"""The columns of `CompetencyRules` that mastery settings decide."""


def rules_with(
    session: Session,
    frameworks: Mapping[int, MasterySettings] | None = None,
    competencies: Mapping[int, Mapping[str, Any]] | None = None,
) -> CompetencyRules:
    """Every competency's rules, as `evidence_source.competency_rules` gives them, except that
    each framework in `frameworks` (by id) has those settings in place of its own, and each
    competency in `competencies` (by id) those overrides in place of its own: the rules a save
    would bring, without writing anything. A framework's new settings keep its competencies'
    own overrides on top, as saving them does."""
    proposed = {owner: settings.model_dump(mode="json")
                for owner, settings in (frameworks or {}).items()}  # fmt: skip
    return competency_rules(session, frameworks=proposed, competencies=competencies)


CHANGE_COLUMNS = ["person", "name", "job_family", "before", "before_title", "after",
                  "after_title"]  # fmt: skip
PAIR_CHANGE_COLUMNS = [*PAIR, "mastery_before", "mastery_after", "proficient_before",
                       "proficient_after", "moved"]  # fmt: skip
ASSESSED_COLUMNS = ["person", "name", "job_family_id", "job_family", "before", "after"]


@dataclass(frozen=True)
class Comparison:
    """Everyone's attained level and mastery now and under proposed rules."""

    assessed: pd.DataFrame
    """Per person on a pathway the viewer sees (index person_id): person, name, job_family_id,
    job_family, before and after (attained levels)."""
    titles: dict[tuple[int, int], str]
    """Each level's title by (job_family_id, rank)."""
    pairs: pd.DataFrame
    """PAIR_CHANGE_COLUMNS, one row per person x competency whose result would change: moved
    says whether the mastery would (by MASTERY_STEP or more, or to or from no result); the rest
    only change whether the person is proficient in it."""

    def levels(self) -> dict[str, Any]:
        """The `LevelPreview` fields."""
        assessed = self.assessed
        moved = assessed[assessed["before"] != assessed["after"]]
        changes = moved.reset_index().assign(
            before=lambda frame: frame["before"].astype(int),
            after=lambda frame: frame["after"].astype(int),
        )
        for side in ("before", "after"):
            changes[f"{side}_title"] = [
                self.titles.get((int(family), int(rank)), "Below the first level")
                for family, rank in zip(changes["job_family_id"], changes[side], strict=True)
            ]
        return {
            "people": len(assessed),
            "raised": int((moved["after"] > moved["before"]).sum()),
            "lowered": int((moved["after"] < moved["before"]).sum()),
            "changes": changes.sort_values(["job_family", "name"])[CHANGE_COLUMNS].reset_index(
                drop=True
            ),
        }


def compare(
    session: Session, viewer: Viewer, proposed: CompetencyRules, progress: Progress, now: datetime
) -> Comparison:
    """Attained levels and mastery under the current rules and under `proposed`, for everyone
    on a pathway the viewer sees, writing nothing.

    Both sides are computed live from the records as of the same moment, so the difference is
    the settings' alone (the materialised table may lag an expiry). People go in chunks by id,
    as in `rollup.recompute_all`; each chunk's evidence is read once, weighed under the current
    rules, and weighed again only for the competencies whose settings the change touches.
    """
    current = rules_with(session)
    touched = _touched(current, proposed)
    pathways = _pathways(session)
    ids = session.scalars(
        select(Person.id)
        .where(
            Person.id.in_(visible_people(viewer)),
            Person.active.is_(True),
            Person.job_family_id.in_(select(PathwayLevel.job_family_id)),
        )
        .order_by(Person.id)
    ).all()
    levels, pairs = [], []
    for start in range(0, len(ids), PEOPLE_PER_CHUNK):
        chunk = ids[start : start + PEOPLE_PER_CHUNK]
        people = read_frame(
            session,
            select(
                Person.id.label("person_id"),
                Person.external_id.label("person"),
                Person.name,
                Person.job_family_id,
                JobFamily.code.label("job_family"),
            )
            .join(JobFamily, JobFamily.id == Person.job_family_id)
            .where(Person.id.in_(chunk)),
        )
        raw = read_raw_evidence(session, raw_evidence_query(person_range=(chunk[0], chunk[-1])))
        evidence = read_evidence(raw)
        mastery_before = roll_up(weigh(evidence, current, now), current)
        mastery_after = _remastered(evidence, mastery_before, touched, proposed, now)
        before = _attained(people, pathways, mastery_before, current, now)
        after = _attained(people, pathways, mastery_after, proposed, now)
        pairs.append(_pair_changes(mastery_before, mastery_after))
        levels.append(people.set_index("person_id").assign(before=before, after=after))
        done = min(len(ids), start + PEOPLE_PER_CHUNK)
        progress(done / max(1, len(ids)), f"{done:,} of {len(ids):,} people")
    if not levels:
        progress(1.0, "No one is on a pathway yet")
    titles = {
        (int(family), int(rank)): title
        for family, rank, title in pathways.levels[["job_family_id", "rank", "title"]].itertuples(
            index=False
        )
    }
    changed = [frame for frame in pairs if not frame.empty]
    return Comparison(
        assessed=pd.concat(levels) if levels else pd.DataFrame(columns=ASSESSED_COLUMNS),
        titles=titles,
        pairs=(
            pd.concat(changed, ignore_index=True)
            if changed
            else pd.DataFrame(columns=PAIR_CHANGE_COLUMNS)
        ),
    )


def _touched(current: CompetencyRules, proposed: CompetencyRules) -> pd.Index:
    """The competencies whose settings differ between the two rules."""
    old = current.frame[SETTING_COLUMNS]
    new = proposed.frame[SETTING_COLUMNS].reindex(old.index)
    return old.index[(old != new).any(axis=1)]


def _remastered(
    evidence: pd.DataFrame,
    mastery: pd.DataFrame,
    touched: pd.Index,
    rules: CompetencyRules,
    now: datetime,
) -> pd.DataFrame:
    """`mastery` with the results of the `touched` competencies weighed again under `rules`;
    every other result depends on its own competency's settings alone, so it stays."""
    if touched.empty:
        return mastery
    kept = mastery[~mastery["competency_id"].isin(touched)]
    again = evidence[evidence["competency_id"].isin(touched)]
    fresh = roll_up(weigh(again, rules, now), rules)
    parts = [frame for frame in (kept, fresh) if not frame.empty]
    return pd.concat(parts, ignore_index=True) if parts else fresh


def _attained(
    people: pd.DataFrame,
    pathways: rules_of.Pathways,
    mastery: pd.DataFrame,
    rules: CompetencyRules,
    now: datetime,
) -> pd.Series:
    """Attained level per person (indexed by person_id) from their mastery."""
    assessed = rules_of.assess(people, pathways, mastery, rules, now)
    held = rules_of.held_levels(people, pathways, assessed)
    return held["attained"].reindex(people["person_id"]).fillna(0)


def _pair_changes(before: pd.DataFrame, after: pd.DataFrame) -> pd.DataFrame:
    """PAIR_CHANGE_COLUMNS for the pairs whose mastery would move or whose proficiency would
    change; a pair without a result is not proficient."""
    columns = [*PAIR, "mastery", "met_proficient"]
    both = before[columns].merge(
        after[columns], on=PAIR, how="outer", suffixes=("_before", "_after")
    )
    old, new = both["mastery_before"].astype(float), both["mastery_after"].astype(float)
    moved = ((old - new).abs() >= MASTERY_STEP - 1e-9) | (old.isna() != new.isna())
    proficient_before = both["met_proficient_before"].eq(True)
    proficient_after = both["met_proficient_after"].eq(True)
    changed = both.assign(
        mastery_before=old,
        mastery_after=new,
        proficient_before=proficient_before,
        proficient_after=proficient_after,
        moved=moved,
    )[moved | (proficient_before != proficient_after)]
    return changed[PAIR_CHANGE_COLUMNS].reset_index(drop=True)
