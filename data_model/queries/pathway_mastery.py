"""Mastery as the pathway rules read it: the engine's mastery, with trusted support.

Self-ratings are signals, never proof. The engine weighs a self-report (and any record still
pending verification, a learner's own claim) at the self-report trust, 0.3 by default, and
adds it to support like any other evidence, so two fresh self-ratings (0.6) would reach the
default minimum support of 0.5 on their own. Pathway rules therefore read **trusted support**:
support at each level from every other piece of evidence. Mastery itself still counts every
record: a self-rating moves the estimate, but can never by itself make a requirement met. A
self-report that someone else verified counts as vouched for, as the engine already treats it.

Three paths, one rule: current mastery (the materialised table, support faded to now, minus
the self-claimed support computed live from just those records), mastery as of any moment
(the engine run twice: over all evidence, and over the trusted evidence for support), and a
series of days (`mastery_series`).
"""

import json
from datetime import date, datetime

import numpy as np
import pandas as pd
from sqlalchemy import Select, String, Text, cast, or_, select, type_coerce, union_all
from sqlalchemy.orm import Session

from data_model import pathways as rules_of
from data_model.bulk import collector_paused
from data_model.evidence_source import raw_evidence_query, read_raw_evidence
from data_model.mastery import (
    PAIR,
    SOURCE_KINDS,
    VERIFICATIONS,
    CompetencyRules,
    level_terms,
    read_evidence,
    roll_up,
    weigh,
)
from data_model.models import LearningRecord, MasteryScore, SourceKind, Verification
from data_model.queries.mastery import end_of_day

MASTERY_COLUMNS = ["person_id", "competency_id", "mastery", "support_levels", "last_evidence_at"]


def self_claimed(evidence: pd.DataFrame) -> np.ndarray:
    """Per evidence row: a self-report no one else vouched for, or a record pending
    verification (`weigh` gives both the self-report trust)."""
    source = evidence["source_kind"].to_numpy(int)
    verification = evidence["verification"].to_numpy(int)
    vouched = (verification == VERIFICATIONS.index(Verification.VERIFIED)) & (
        evidence["verified_by_id"].notna() & (evidence["verified_by_id"] != evidence["person_id"])
    ).to_numpy()
    self_report = source == SOURCE_KINDS.index(SourceKind.SELF_REPORT)
    pending = verification == VERIFICATIONS.index(Verification.PENDING)
    return (self_report & ~vouched) | pending


CLAIM_COLUMNS = ["record_id", "person_id", "competency_id", "rating", "occurred_at",
                 "source_kind", "verification", "verified_by_id", "valid_until"]  # fmt: skip


def _claims(session: Session, ids: Select | list[int]) -> pd.DataFrame:
    """Every record of the people that may be self-claimed, from learning_records alone.

    A large group (a subquery of people) is matched with `person_id + 0`, which keeps SQLite
    scanning the table once instead of looking up every person's records by index: several
    times faster when most people are in the group.
    """
    person = LearningRecord.person_id if isinstance(ids, list) else LearningRecord.person_id + 0
    statement = select(
        LearningRecord.id, LearningRecord.person_id, LearningRecord.competency_id,
        LearningRecord.rating, type_coerce(LearningRecord.occurred_at, String()),
        type_coerce(LearningRecord.source_kind, String()),
        type_coerce(LearningRecord.verification, String()), LearningRecord.verified_by_id,
        type_coerce(LearningRecord.valid_until, String()),
    ).where(
        or_(LearningRecord.source_kind == SourceKind.SELF_REPORT,
            LearningRecord.verification == Verification.PENDING),
        LearningRecord.verification != Verification.DECLINED,
        person.in_(ids),
    )  # fmt: skip
    with collector_paused():
        rows = session.connection().execute(statement).cursor.fetchall()
    frame = pd.DataFrame.from_records(rows, columns=CLAIM_COLUMNS)
    for column, vocabulary in (("source_kind", SOURCE_KINDS), ("verification", VERIFICATIONS)):
        codes = {member.value: code for code, member in enumerate(vocabulary)}
        frame[column] = frame[column].astype(object).map(codes).astype(int)
    return frame


def _rating_weights(claims: pd.DataFrame, rules: CompetencyRules, now: datetime) -> np.ndarray:
    """Per self-claimed rating of a competency and level, its weight towards support, as `weigh`
    and `level_terms` would give it: self-report trust x 0.5 ** (age / half-life) (zero once
    expired or before it was shown), relevant at every level of the scale."""
    settings = rules.frame.reindex(claims["competency_id"])
    shown = pd.to_datetime(claims["occurred_at"], utc=True, format="ISO8601")
    age = ((pd.Timestamp(now) - shown).dt.total_seconds() / 86_400).to_numpy(float)
    valid_until = pd.to_datetime(claims["valid_until"])
    expired = (valid_until.notna() & (valid_until < pd.Timestamp(now.date()))).to_numpy()
    trust = settings[f"trust_{SourceKind.SELF_REPORT.value}"].to_numpy(float)
    recency = 0.5 ** (np.maximum(age, 0.0) / settings["half_life_days"].to_numpy(float))
    weight = np.where((age >= 0) & ~expired, trust * recency, 0.0)
    levels = np.arange(1, int(rules.frame["scale_max"].max()) + 1, dtype=float)
    on_scale = (levels > settings["scale_min"].to_numpy(float)[:, None]) & (
        levels <= settings["scale_max"].to_numpy(float)[:, None]
    )
    return weight[:, None] * on_scale


def _self_support(
    session: Session, ids: Select | list[int], rules: CompetencyRules, now: datetime
) -> tuple[pd.DataFrame, np.ndarray]:
    """The pairs with self-claimed evidence (PAIR columns) and their support per level (one
    row per pair, a column per level).

    Self-ratings of a competency, nearly all of them, are weighed here from one lean read of
    learning_records; anything else self-claimed (a pending project, say) goes through the
    engine's own evidence reading, for just those records."""
    claims = _claims(session, ids)
    claims = claims[self_claimed(claims)]
    simple = claims["rating"].notna() & claims["competency_id"].isin(rules.frame.index)
    pairs = [claims.loc[simple, PAIR].astype(int)]
    weights = [_rating_weights(claims[simple], rules, now)]
    others = claims.loc[~simple, "record_id"].astype(int).tolist()
    if others:
        wanted = LearningRecord.id.in_(others)
        query = union_all(*(part.where(wanted) for part in raw_evidence_query().selects))
        weighted = weigh(read_evidence(read_raw_evidence(session, query)), rules, now)
        weighted = weighted[self_claimed(weighted)]
        _support, relevant, _levels = level_terms(weighted, rules)
        pairs.append(weighted[PAIR].astype(int))
        weights.append(weighted["weight"].to_numpy(float)[:, None] * relevant)
    rows = pd.concat(pairs, ignore_index=True)
    group = rows.groupby(PAIR, sort=False).ngroup().to_numpy()
    per_level = np.concatenate(weights)
    sums = np.zeros((group.max() + 1 if len(group) else 0, per_level.shape[1]))
    for level in range(per_level.shape[1]):
        sums[:, level] = np.bincount(group, weights=per_level[:, level], minlength=len(sums))
    return rows.drop_duplicates(PAIR).reset_index(drop=True), sums


def current_mastery(
    session: Session, ids: Select | list[int], rules: CompetencyRules, now: datetime
) -> pd.DataFrame:
    """MASTERY_COLUMNS from the materialised table, support faded to `now` (as
    `mastery.aged_support` does) less the self-claimed support. support_levels holds one array
    per row, zero-padded to the widest scale. Rows come straight from the cursor and are
    parsed column-wise (one JSON document for all the support lists): at 100,000 rows several
    times faster than letting each row convert itself."""
    statement = select(
        MasteryScore.person_id,
        MasteryScore.competency_id,
        MasteryScore.mastery,
        cast(MasteryScore.support_levels, Text),
        type_coerce(MasteryScore.last_evidence_at, String()),
        type_coerce(MasteryScore.as_of, String()),
    ).where(MasteryScore.person_id.in_(ids))
    with collector_paused():
        rows = session.connection().execute(statement).cursor.fetchall()
        if not rows:
            return pd.DataFrame(columns=MASTERY_COLUMNS)
        person, competency, mastery, support, last, as_of = zip(*rows, strict=True)
        lists = json.loads("[" + ",".join(text or "[]" for text in support) + "]")
    frame = pd.DataFrame(
        {
            "person_id": pd.Series(person, dtype="int64"),
            "competency_id": pd.Series(competency, dtype="int64"),
            "mastery": pd.Series(mastery, dtype="float64"),
            "last_evidence_at": pd.to_datetime(pd.Series(last), utc=True, format="ISO8601"),
        }
    )
    since = pd.Timestamp(now) - pd.to_datetime(pd.Series(as_of), utc=True, format="ISO8601")
    half_life = rules.frame["half_life_days"].reindex(frame["competency_id"]).to_numpy(float)
    fade = 0.5 ** (since.dt.total_seconds().to_numpy(float) / 86_400 / half_life)
    aged = rules_of.support_matrix(lists) * fade[:, None]
    claimed, claimed_support = _self_support(session, ids, rules, now)
    rows = frame[PAIR].reset_index().merge(claimed.assign(claim=np.arange(len(claimed))), on=PAIR)
    width = aged.shape[1]
    aged[rows["index"].to_numpy()] -= claimed_support[rows["claim"].to_numpy(), :width]
    frame["support_levels"] = list(np.clip(aged, 0.0, None))
    return frame[MASTERY_COLUMNS]


def mastery_as_of(
    session: Session, ids: Select | list[int], rules: CompetencyRules, as_of: datetime
) -> pd.DataFrame:
    """MASTERY_COLUMNS computed live from the records as of `as_of`."""
    weighted = weigh(read_evidence(read_raw_evidence(session, raw_evidence_query(ids))), rules,
                     as_of)  # fmt: skip
    return with_trusted_support(roll_up(weighted, rules), weighted, rules)


def with_trusted_support(
    mastery: pd.DataFrame, weighted: pd.DataFrame, rules: CompetencyRules
) -> pd.DataFrame:
    """`mastery` (from `roll_up` over `weighted`) with support_levels from trusted evidence."""
    trusted = roll_up(weighted[~self_claimed(weighted)], rules)[[*PAIR, "support_levels"]]
    merged = mastery.drop(columns=["support_levels"]).merge(trusted, on=PAIR, how="left")
    return merged.assign(
        support_levels=[
            levels if isinstance(levels, list) else [] for levels in merged["support_levels"]
        ]
    )[MASTERY_COLUMNS]


def mastery_series(
    evidence: pd.DataFrame,
    pairs: pd.DataFrame,
    rules: CompetencyRules,
    days: list[date],
    with_support: bool = True,
) -> tuple[np.ndarray, np.ndarray]:
    """Mastery (pairs x days, NaN without usable evidence) and trusted support per level (pairs
    x days x levels; no levels unless `with_support`) of `pairs` (person_id, competency_id) as
    of the end of each of `days`, from `evidence` (as `read_evidence` gives it).

    The arithmetic of `weigh` and `roll_up`, done for every day over one weighing: a weight as
    of day d is trust x tag weight x 0.5 ** (age at d / half-life), zero before the evidence
    was shown and after a certificate expired; per pair, level and day the sums over the
    relevant evidence give mastery and support exactly as the engine does. Competencies rolled
    up by another method take their mastery from `roll_up`, day by day.
    """
    if pairs.empty or evidence.empty:
        return np.full((len(pairs), len(days)), np.nan), np.zeros((len(pairs), len(days), 0))
    moments = [end_of_day(day) for day in days]
    weighted = weigh(evidence, rules, moments[-1]).merge(
        pairs[PAIR].assign(pair=np.arange(len(pairs))), on=PAIR
    )
    top = int(rules.frame["scale_max"].max())
    share = np.zeros((len(pairs), len(days)))
    usable = np.zeros((len(pairs), len(days)))
    support_levels = np.zeros((len(pairs), len(days), top if with_support else 0))
    if len(weighted):
        support, relevant, _levels = level_terms(weighted, rules)
        trusted = ~self_claimed(weighted)
        shown = weighted["occurred_at"].dt.tz_convert(None).to_numpy("datetime64[ns]")
        half_life = rules.frame["half_life_days"].reindex(weighted["competency_id"]).to_numpy()
        valid_until = pd.to_datetime(weighted["valid_until"]).to_numpy("datetime64[ns]")
        base = (weighted["trust"] * weighted["tag_weight"]).to_numpy(float)
        code = weighted["pair"].to_numpy(int)
        for column, (day, moment) in enumerate(zip(days, moments, strict=True)):
            end = np.datetime64(moment.replace(tzinfo=None), "ns")
            age = (end - shown) / np.timedelta64(1, "D")
            live = (age >= 0) & ~(valid_until < np.datetime64(day, "ns"))
            weight = np.where(live, base * 0.5 ** (np.maximum(age, 0.0) / half_life), 0.0)
            usable[:, column] = np.bincount(code, weights=weight > 0, minlength=len(pairs))
            for level in range(top):
                on = weight * relevant[:, level]
                below = np.bincount(code, weights=on, minlength=len(pairs))
                above = np.bincount(code, weights=on * support[:, level], minlength=len(pairs))
                share[:, column] += np.divide(above, below, out=np.zeros_like(above),
                                              where=below > 0)  # fmt: skip
                if with_support:
                    support_levels[:, column, level] = np.bincount(
                        code, weights=on * trusted, minlength=len(pairs)
                    )
    settings = rules.frame.reindex(pairs["competency_id"])
    mastery = settings["scale_min"].to_numpy(float)[:, None] + share
    other_method = (settings["method"] != "evidence").to_numpy()
    if other_method.any():
        mastery[other_method] = _by_roll_up(evidence, rules, moments, pairs[other_method])
    mastery[usable == 0] = np.nan
    return mastery, support_levels


def _by_roll_up(
    evidence: pd.DataFrame, rules: CompetencyRules, moments: list[datetime], pairs: pd.DataFrame
) -> np.ndarray:
    """Mastery of `pairs` (rows) at each of `moments` (columns) through `roll_up` itself."""
    columns = []
    for moment in moments:
        found = roll_up(weigh(evidence, rules, moment), rules)
        columns.append(pairs.merge(found[[*PAIR, "mastery"]], on=PAIR, how="left")["mastery"])
    return np.column_stack(columns).astype(float)
