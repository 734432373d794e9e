"""The mastery engine: from learning records to competency mastery, with the reasons.

Each record gives evidence for each competency it touches (see `read_evidence`):
point evidence at a value v, or "at least T" evidence. Its weight is
trust(source) x tag weight x 0.5 ** (age in days / half-life), zero for a certificate past its
valid-until date; evidence dated after the as-of date is ignored.

The default method, `evidence`, is level-aware. For each level L above the scale's minimum:
point evidence supports L by clamp(v - L + 1, 0, 1) and is relevant at every L; "at least T"
evidence supports L fully and is relevant only where L <= T. p_L is the weighted share of
support among the relevant evidence and support_L the relevant weight; mastery is the scale's
minimum plus the sum of p_L. A Canvas-compatible method instead reads the evidence values in
time order (`mastery_methods`); evidence shown at the same moment is taken lowest value first,
so the order records were imported in never matters. Every path (one person, a team, the full
roll-up) goes through `weigh` and `roll_up`, so the numbers agree everywhere.
"""

from dataclasses import dataclass
from datetime import datetime

import numpy as np
import pandas as pd

from data_model.mastery_methods import canvas_results, parse_method
from data_model.mastery_settings import DEFAULT_PASS_MARK, MasterySettings, default_scoring
from data_model.models import ActivityKind, Scoring, SourceKind, Verification

PAIR = ["person_id", "competency_id"]
SOURCE_KINDS = list(SourceKind)
VERIFICATIONS = list(Verification)
ACTIVITY_KINDS = list(ActivityKind)
SCORINGS = list(Scoring)
"""Vocabulary columns travel as integer codes (positions in these lists, -1 for none): a
million short strings cost more to read and compare than the arithmetic they feed."""
DEFAULT_SCORING_CODES = np.array(
    [
        *(SCORINGS.index(default_scoring(kind)) for kind in ACTIVITY_KINDS),
        SCORINGS.index(Scoring.GRADED),
    ]
)
"""Default scoring per activity kind code; the last entry (code -1) covers records without one."""


def vocabulary_codes(values: pd.Series, vocabulary: list) -> np.ndarray:
    """Codes for a column of vocabulary values (members or their text); -1 for missing."""
    positions = {str(member): code for code, member in enumerate(vocabulary)}
    return np.array([-1 if value is None or value != value else positions[str(value)]
                     for value in values], dtype=int)  # fmt: skip


def vocabulary_names(codes: pd.Series, vocabulary: list) -> list[str | None]:
    return [None if code < 0 else str(vocabulary[code]) for code in codes]


RULE_COLUMNS = ["competency_id", "scale_min", "scale_max", "proficient", "labels", "method",
                "half_life_days", "minimum_support",
                *(f"trust_{kind.value}" for kind in SourceKind)]  # fmt: skip
"""The columns of `CompetencyRules.frame` (before competency_id becomes its index)."""


@dataclass(frozen=True)
class CompetencyRules:
    """What the engine needs to know about each competency, one row per competency id:
    scale_min, scale_max, proficient, labels (level -> label), method, half_life_days,
    minimum_support, and one `trust_<source kind>` column per source kind."""

    frame: pd.DataFrame

    @classmethod
    def build(cls, rows: list[dict]) -> "CompetencyRules":
        """`rows`: competency_id, scale_min, scale_max, proficient, labels, and `settings`
        (a `MasterySettings`)."""
        records = []
        for row in rows:
            settings: MasterySettings = row["settings"]
            records.append(
                {
                    "competency_id": row["competency_id"],
                    "scale_min": row["scale_min"],
                    "scale_max": row["scale_max"],
                    "proficient": row["proficient"],
                    "labels": row["labels"],
                    "method": settings.method,
                    "half_life_days": settings.half_life_days,
                    "minimum_support": settings.minimum_support,
                    **{f"trust_{kind.value}": settings.trust[kind] for kind in SourceKind},
                }
            )
        frame = pd.DataFrame.from_records(records, columns=RULE_COLUMNS)
        return cls(frame.set_index("competency_id"))


def read_evidence(raw: pd.DataFrame) -> pd.DataFrame:
    """Turn raw record-by-competency rows into evidence: `value` and `at_least` per row.

    A rating R is point evidence at R. A score is read by the activity's scoring rule: `pass`
    gives "at least T" when score / max reaches the pass mark, else point evidence at
    T * (score / max) / pass mark; `graded` gives point evidence at T * score / max. A
    completion without a score is "at least T"; an explicit failure without one is point
    evidence at T - 1. Rows that show nothing (no rating, score, outcome or target) are dropped.
    """
    frame = raw.copy()
    target = frame["target_level"].astype(float)
    rating = frame["rating"].astype(float)
    ratio = (frame["score"].astype(float) / frame["max_score"].astype(float)).where(
        frame["max_score"].astype(float) > 0
    )
    scoring = np.where(
        frame["scoring"].to_numpy(int) >= 0,
        frame["scoring"].to_numpy(int),
        DEFAULT_SCORING_CODES[frame["activity_kind"].to_numpy(int)],
    )
    pass_mark = frame["pass_mark"].astype(float).fillna(DEFAULT_PASS_MARK)
    passed = frame["passed"].astype(float)
    explicitly_failed = passed == 0
    passed_or_completed = (passed == 1) | (frame["completed"].astype(float) == 1)

    has_rating = rating.notna()
    scored = ~has_rating & ratio.notna() & target.notna()
    by_pass = scored & (scoring == SCORINGS.index(Scoring.PASS))
    unscored = ~has_rating & ratio.isna() & target.notna()
    failed = unscored & explicitly_failed
    shown = unscored & ~failed & passed_or_completed

    value = pd.Series(np.nan, index=frame.index)
    value = value.mask(has_rating, rating)
    value = value.mask(scored & ~by_pass, target * ratio)
    value = value.mask(by_pass & (ratio < pass_mark), target * ratio / pass_mark)
    value = value.mask(by_pass & (ratio >= pass_mark), target)
    value = value.mask(failed, (target - 1).clip(lower=0))
    value = value.mask(shown, target)
    frame["value"] = value
    frame["at_least"] = (by_pass & (ratio >= pass_mark)) | shown
    return frame[value.notna()]


def weigh(evidence: pd.DataFrame, rules: CompetencyRules, as_of: datetime) -> pd.DataFrame:
    """Add trust, recency and weight; drop evidence dated after `as_of`."""
    frame = evidence[evidence["occurred_at"] <= as_of].copy()
    frame = frame[frame["competency_id"].isin(rules.frame.index)]
    trust_names = [f"trust_{kind.value}" for kind in SourceKind]
    settings = rules.frame[["half_life_days", *trust_names]].loc[frame["competency_id"]]
    verification = frame["verification"].to_numpy(int)
    source = np.where(
        verification == VERIFICATIONS.index(Verification.PENDING),
        SOURCE_KINDS.index(SourceKind.SELF_REPORT),
        frame["source_kind"].to_numpy(int),
    )
    trust_columns = settings[trust_names].to_numpy(float)
    trust = trust_columns[np.arange(len(frame)), source]
    vouched = (verification == VERIFICATIONS.index(Verification.VERIFIED)) & (
        frame["verified_by_id"].notna() & (frame["verified_by_id"] != frame["person_id"])
    )
    attestation = settings[f"trust_{SourceKind.ATTESTATION.value}"].to_numpy(float)
    trust = np.where(vouched.to_numpy(), np.maximum(trust, attestation), trust)
    age_days = (as_of - frame["occurred_at"]).dt.total_seconds().to_numpy() / 86_400
    recency = 0.5 ** (age_days / settings["half_life_days"].to_numpy(float))
    valid_until = pd.to_datetime(frame["valid_until"])
    expired = valid_until.notna() & (valid_until < pd.Timestamp(as_of.date()))
    frame["trust"] = trust
    frame["recency"] = recency
    frame["expired"] = expired.to_numpy()
    frame["weight"] = np.where(
        frame["expired"], 0.0, trust * frame["tag_weight"].to_numpy(float) * recency
    )
    return frame


def level_terms(
    weighted: pd.DataFrame, rules: CompetencyRules
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per evidence row and level: support s, relevance, and the levels themselves.

    Columns run over levels 1 .. the largest scale maximum; a level outside a competency's
    scale is never relevant.
    """
    settings = rules.frame[["scale_min", "scale_max"]].loc[weighted["competency_id"]]
    top = int(rules.frame["scale_max"].max()) if len(rules.frame) else 0
    levels = np.arange(1, top + 1, dtype=float)
    value = weighted["value"].to_numpy(float)[:, None]
    at_least = weighted["at_least"].to_numpy(bool)[:, None]
    on_scale = (levels > settings["scale_min"].to_numpy(float)[:, None]) & (
        levels <= settings["scale_max"].to_numpy(float)[:, None]
    )
    support = np.where(at_least, 1.0, np.clip(value - levels + 1, 0.0, 1.0))
    relevant = np.where(at_least, levels <= value, True) & on_scale
    return support, relevant, levels


def _per_level(weighted: pd.DataFrame, rules: CompetencyRules) -> pd.DataFrame:
    """Σ w·s and Σ w over the relevant evidence, per pair and level."""
    support, relevant, _levels = level_terms(weighted, rules)
    weight = weighted["weight"].to_numpy(float)[:, None]
    numerator = pd.DataFrame(weight * support * relevant, index=weighted.index)
    denominator = pd.DataFrame(weight * relevant, index=weighted.index)
    keys = [weighted[column] for column in PAIR]
    return pd.concat(
        {
            "num": numerator.groupby(keys, sort=True).sum(),
            "den": denominator.groupby(keys, sort=True).sum(),
        },
        axis=1,
    )


def _labels(competency_ids: pd.Series, mastery: np.ndarray, rules: CompetencyRules) -> list:
    """The scale label of the whole level each mastery reaches; None without a result."""
    level = np.floor(np.nan_to_num(mastery, nan=-1) + 1e-9).astype(int)
    lookup = {
        (competency, int(key)): label
        for competency, labels in rules.frame["labels"].items()
        for key, label in (labels or {}).items()
    }
    return [lookup.get(key) for key in zip(competency_ids.tolist(), level.tolist(), strict=True)]


def _trimmed_rows(matrix: np.ndarray, lengths: np.ndarray) -> list[list[float]]:
    """Each row rounded and cut to its competency's number of levels, as plain lists."""
    return [row[:length] for row, length in
            zip(np.round(matrix, 6).tolist(), lengths.tolist(), strict=True)]  # fmt: skip


RESULT_COLUMNS = [*PAIR, "method", "mastery", "level", "support", "confidence", "met_proficient",
                  "evidence_count", "last_evidence_at", "p_levels", "support_levels"]  # fmt: skip


def roll_up(weighted: pd.DataFrame, rules: CompetencyRules) -> pd.DataFrame:
    """Mastery per (person, competency) from weighed evidence, by each competency's method."""
    usable = weighted[weighted["weight"] > 0]
    if usable.empty:
        return pd.DataFrame(columns=RESULT_COLUMNS)
    sums = _per_level(usable, rules)
    numerator, denominator = sums["num"].to_numpy(), sums["den"].to_numpy()
    share = np.divide(numerator, denominator, out=np.zeros_like(numerator),
                      where=denominator > 0)  # fmt: skip
    result = sums.index.to_frame(index=False)
    settings = rules.frame.loc[result["competency_id"]].reset_index(drop=True)
    result["method"] = settings["method"].to_numpy()
    result["mastery"] = settings["scale_min"].to_numpy(float) + share.sum(axis=1)
    grouped = usable.groupby(PAIR, sort=True)
    result["evidence_count"] = grouped.size().to_numpy()
    result["last_evidence_at"] = grouped["occurred_at"].max().to_numpy()
    canvas = result["method"] != "evidence"
    if canvas.any():
        result.loc[canvas, "mastery"] = _canvas_mastery(usable, result[canvas], rules)
    scale_max = settings["scale_max"].to_numpy(int)
    result["p_levels"] = _trimmed_rows(share, scale_max)
    return summarise(result, denominator, rules)


def summarise(result: pd.DataFrame, support: np.ndarray, rules: CompetencyRules) -> pd.DataFrame:
    """From mastery and support per level (one row of `support` per row of `result`, columns
    for levels 1 .. the largest scale maximum): the label, the support at the level the mastery
    claims, the confidence that support gives, and whether the proficient level is met."""
    settings = rules.frame.loc[result["competency_id"]].reset_index(drop=True)
    mastery = result["mastery"].to_numpy(float)
    scale_min = settings["scale_min"].to_numpy(float)
    scale_max = settings["scale_max"].to_numpy(float)
    claimed = np.clip(np.ceil(np.nan_to_num(mastery, nan=0.0) - 1e-9), scale_min + 1, scale_max)
    rows = np.arange(len(result))
    support_claimed = support[rows, claimed.astype(int) - 1] if len(result) else np.zeros(0)
    proficient = settings["proficient"].to_numpy(float)
    support_proficient = (
        support[rows, np.maximum(proficient.astype(int), 1) - 1] if len(result) else np.zeros(0)
    )
    minimum = settings["minimum_support"].to_numpy(float)
    result = result.assign(
        support=support_claimed,
        confidence=support_claimed / (support_claimed + np.maximum(minimum, 1e-9)),
        met_proficient=(np.nan_to_num(mastery, nan=-1) >= proficient - 1e-9)
        & (support_proficient >= minimum),
        level=_labels(result["competency_id"], mastery, rules),
        support_levels=_trimmed_rows(support, scale_max.astype(int)),
    )  # fmt: skip
    return result[RESULT_COLUMNS]


def aged_support(
    support_levels: pd.Series, competency_ids: pd.Series, rules: CompetencyRules, days: np.ndarray
) -> np.ndarray:
    """Materialised support per level, faded by the time since it was computed.

    Every weight decays by the same factor 0.5 ** (days / half-life), so support_L read later is
    the stored support_L times that factor: exact until new evidence or an expiry arrives,
    which refresh the stored rows anyway.
    """
    top = int(rules.frame["scale_max"].max()) if len(rules.frame) else 0
    padded = np.zeros((len(support_levels), top))
    for row, levels in enumerate(support_levels):
        padded[row, : len(levels)] = levels
    half_life = rules.frame["half_life_days"].reindex(competency_ids).to_numpy(float)
    return padded * (0.5 ** (days / half_life))[:, None]


def _canvas_mastery(
    usable: pd.DataFrame, pairs: pd.DataFrame, rules: CompetencyRules
) -> np.ndarray:
    """Canvas-method results for `pairs`, in their order; NaN where a method gives none."""
    ordered = usable.sort_values([*PAIR, "occurred_at", "value", "source_kind"])
    keyed = ordered.set_index(PAIR)
    out = pd.Series(np.nan, index=pd.MultiIndex.from_frame(pairs[PAIR]))
    for method_text, group in pairs.groupby("method"):
        index = pd.MultiIndex.from_frame(group[PAIR])
        subset = keyed.loc[keyed.index.isin(index)]
        frame = pd.DataFrame(
            {"group": list(subset.index), "value": subset["value"].to_numpy(float)}
        )
        proficient = rules.frame["proficient"].astype(float)
        per_group = proficient.reindex([competency for _, competency in frame["group"]])
        frame["proficient"] = per_group.to_numpy()
        result = canvas_results(parse_method(str(method_text)), frame,
                                frame.groupby("group")["proficient"].first())  # fmt: skip
        out.loc[result.index] = result.to_numpy()
    return out.to_numpy(float)


def explain_evidence(weighted: pd.DataFrame, rules: CompetencyRules) -> pd.DataFrame:
    """Every piece of one pair's evidence with its value, trust, recency, weight, relevance per
    level and share of the result. Under the `evidence` method the shares add up to the
    mastery above the scale's minimum; expired evidence is listed with weight 0."""
    frame = weighted.sort_values(["occurred_at", "value", "source_kind"]).reset_index(drop=True)
    if frame.empty:
        return frame.assign(share=[], relevant_levels=[])
    support, relevant, levels = level_terms(frame, rules)
    weight = frame["weight"].to_numpy(float)[:, None]
    denominator = (weight * relevant).sum(axis=0)
    parts = np.divide(weight * support * relevant, denominator, out=np.zeros_like(support),
                      where=denominator > 0)  # fmt: skip
    frame["share"] = parts.sum(axis=1)
    frame["relevant_levels"] = [
        [int(level) for level, is_relevant in zip(levels, row, strict=True) if is_relevant]
        for row in relevant
    ]
    frame["support_by_level"] = [
        {int(level): round(float(s), 4) for level, s, r in zip(levels, srow, rrow, strict=True)
         if r}
        for srow, rrow in zip(support, relevant, strict=True)
    ]  # fmt: skip
    return frame
