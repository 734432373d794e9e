"""The mastery engine's rules, by worked example and by property."""

from datetime import timedelta

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from data_model.mastery import CompetencyRules, explain_evidence, read_evidence, roll_up
from data_model.mastery_methods import (
    UnknownMethod,
    canvas_result,
    parse_method,
    round_half_up,
)
from tests.mastery_helpers import AS_OF, activity, frame, rating, result, rules, weighed

CERTIFICATION = {"activity_kind": "certification", "source_kind": "certification"}
ASSESSMENT = {"activity_kind": "assessment", "source_kind": "assessment"}


# Evidence: how each kind of record reads.


def test_one_rating_gives_exactly_that_rating() -> None:
    assert result([rating(3.5)])["mastery"] == pytest.approx(3.5)


def test_a_graded_assessment_keeps_its_grade() -> None:
    graded = activity(5, score=85, max_score=100, **ASSESSMENT)
    assert result([graded])["mastery"] == pytest.approx(4.25)


def test_a_passed_certification_gives_its_level_whatever_easier_work_came_before() -> None:
    easier = [activity(2, days_ago=300), activity(1, days_ago=200), activity(3, days_ago=90)]
    passed = activity(4, score=90, max_score=100, **CERTIFICATION)
    assert result([*easier, passed])["mastery"] == pytest.approx(4.0)


def test_a_failed_certification_is_point_evidence_scaled_by_the_pass_mark() -> None:
    failed = activity(4, score=35, max_score=100, **CERTIFICATION)
    assert result([failed])["mastery"] == pytest.approx(4 * 0.35 / 0.7)


def test_an_activity_can_set_its_own_pass_mark_and_scoring() -> None:
    strict = activity(4, score=80, max_score=100, pass_mark=0.9, **CERTIFICATION)
    graded_certificate = activity(4, score=80, max_score=100, scoring="graded", **CERTIFICATION)
    assert result([strict])["mastery"] == pytest.approx(4 * 0.8 / 0.9)
    assert result([graded_certificate])["mastery"] == pytest.approx(3.2)


def test_a_later_failed_attempt_pulls_that_level_down() -> None:
    passed = activity(4, days_ago=30, score=90, max_score=100, **CERTIFICATION)
    failed = activity(4, days_ago=30, completed=None, passed=False, **CERTIFICATION)
    alone = result([passed])
    both = result([passed, failed])
    assert both["mastery"] < alone["mastery"]
    assert both["p_levels"][3] == pytest.approx(0.5)
    assert both["p_levels"][:3] == pytest.approx([1.0, 1.0, 1.0])


def test_a_completion_without_a_score_is_at_least_its_target() -> None:
    assert result([activity(3)])["mastery"] == pytest.approx(3.0)
    assert result([activity(3)])["p_levels"] == pytest.approx([1, 1, 1, 0, 0])


def test_an_explicit_failure_without_a_score_is_one_level_below() -> None:
    assert result([activity(3, completed=None, passed=False)])["mastery"] == pytest.approx(2.0)


def test_a_record_that_shows_nothing_is_not_evidence() -> None:
    assert result([activity(3, completed=None)]) == {}


def test_declined_and_pending_records() -> None:
    pending = weighed([activity(3, verification="pending", source_kind="project")])
    assert pending["trust"].iloc[0] == pytest.approx(0.3)


def test_informal_evidence_vouched_for_by_someone_else_counts_as_an_attestation() -> None:
    vouched = weighed([activity(3, source_kind="course", verification="verified",
                                verified_by_id=99)])  # fmt: skip
    self_vouched = weighed([activity(3, source_kind="course", verification="verified",
                                     verified_by_id=1)])  # fmt: skip
    assert vouched["trust"].iloc[0] == pytest.approx(0.8)
    assert self_vouched["trust"].iloc[0] == pytest.approx(0.6)


def test_an_expired_certificate_counts_nothing() -> None:
    expired = activity(4, score=90, max_score=100, valid_until=AS_OF.date() - timedelta(days=1),
                       **CERTIFICATION)  # fmt: skip
    weights = weighed([expired])
    assert weights["expired"].iloc[0]
    assert weights["weight"].iloc[0] == 0
    assert result([expired, rating(2)])["mastery"] == pytest.approx(2.0)


def test_evidence_after_the_as_of_date_is_ignored() -> None:
    future = rating(5, days_ago=-3)
    assert result([rating(2), future])["mastery"] == pytest.approx(2.0)


def test_weight_is_trust_times_half_life_decay() -> None:
    old = weighed([rating(3, days_ago=365)])
    assert old["recency"].iloc[0] == pytest.approx(0.5, rel=1e-3)
    assert old["weight"].iloc[0] == pytest.approx(0.8 * 0.5, rel=1e-3)
    custom = weighed([rating(3, days_ago=100)], half_life_days=100, trust={"attestation": 0.9})
    assert custom["weight"].iloc[0] == pytest.approx(0.45, rel=1e-3)


def test_support_fades_with_age_but_relative_weights_move_mastery() -> None:
    recent = result([rating(4, days_ago=1)])
    stale = result([rating(4, days_ago=730)])
    assert recent["mastery"] == pytest.approx(stale["mastery"])
    assert stale["support"] < recent["support"] / 3.9


def test_a_lone_self_rating_cannot_meet_proficiency() -> None:
    lone = result([rating(4, source_kind="self_report")])
    attested = result([rating(4)])
    assert lone["mastery"] == pytest.approx(4)
    assert not lone["met_proficient"]
    assert attested["met_proficient"]


def test_confidence_is_half_when_support_equals_the_minimum() -> None:
    exactly = result([rating(3, source_kind="peer_review")], minimum_support=0.5)
    assert exactly["confidence"] == pytest.approx(0.5, rel=1e-2)


def test_levels_get_their_labels() -> None:
    assert result([rating(3.5)])["level"] == "Practitioner"
    assert result([rating(5)])["level"] == "Expert"


# Canvas-compatible methods: the worked examples of the issue, on a 0-5 scale, proficient 3.


@pytest.mark.parametrize(
    ("values", "method", "expected"),
    [
        ([1, 2, 3, 4, 5], "highest", 5.0),
        ([1, 2, 3, 4, 5], "average", 3.0),
        ([1, 2, 3, 4, 5], "weighted_average:65", 4.13),
        ([1, 2, 3, 4, 5], "decaying_average:65", 4.47),
        ([1, 2, 3, 4, 5], "n_mastery:3", 4.0),
        ([1, 2, 3, 4, 5], "n_mastery:4", None),
        ([1, 2, 4, 5, 3], "latest", 3.0),
        ([3, 1, 5, 4], "weighted_average:75", 3.75),
    ],
)
def test_canvas_worked_examples(values: list[float], method: str, expected: float | None) -> None:
    assert canvas_result(parse_method(method), values, proficient=3) == expected
    engine = result([rating(v, days_ago=10 * (len(values) - i)) for i, v in enumerate(values)],
                    method=method)  # fmt: skip
    assert (None if np.isnan(engine["mastery"]) else engine["mastery"]) == expected


def test_rounding_is_half_up_not_half_even() -> None:
    assert round(4.125, 2) == 4.12
    assert round_half_up(4.125) == 4.13
    assert round_half_up(2.675) == 2.68


@pytest.mark.parametrize("text", ["median", "highest:3", "weighted_average:150", "n_mastery:0",
                                  "decaying_average:x"])  # fmt: skip
def test_unknown_methods_are_refused_with_a_reason(text: str) -> None:
    with pytest.raises(UnknownMethod):
        parse_method(text)


# Explanations.


def test_explanation_shares_add_up_to_the_number_shown() -> None:
    rows = [activity(2, days_ago=400), rating(3.5, days_ago=30),
            activity(4, days_ago=10, score=60, max_score=100, **CERTIFICATION),
            rating(4, days_ago=5, source_kind="self_report")]  # fmt: skip
    explanation = explain_evidence(weighed(rows), rules())
    assert explanation["share"].sum() == pytest.approx(result(rows)["mastery"])
    assert list(explanation["relevant_levels"].iloc[0]) == [1, 2]


# Properties.

ratings = st.lists(
    st.tuples(st.floats(0, 5), st.floats(0, 1500), st.sampled_from(
        ["attestation", "self_report", "peer_review", "assessment"])),
    min_size=1, max_size=8,
)  # fmt: skip
targets = st.integers(1, 5)
PROPERTY = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _rows(items: list[tuple[float, float, str]]) -> list[dict]:
    return [rating(v, days_ago=age, source_kind=source) for v, age, source in items]


@PROPERTY
@given(items=ratings, which=st.integers(0, 7), raise_by=st.floats(0, 5))
def test_raising_any_evidence_value_never_lowers_mastery(items, which, raise_by) -> None:
    which %= len(items)
    value, age, source = items[which]
    raised = list(items)
    raised[which] = (min(5.0, value + raise_by), age, source)
    assert result(_rows(raised))["mastery"] >= result(_rows(items))["mastery"] - 1e-9


@PROPERTY
@given(items=ratings, target=targets, age=st.floats(0, 1500))
def test_adding_a_pass_never_lowers_any_level(items, target, age) -> None:
    before = result(_rows(items))["p_levels"]
    after = result([*_rows(items), activity(target, days_ago=age, score=95, max_score=100,
                                            **CERTIFICATION)])["p_levels"]  # fmt: skip
    assert all(a >= b - 1e-9 for a, b in zip(after, before, strict=True))


@PROPERTY
@given(items=ratings, target=targets, age=st.floats(0, 1500), score=st.floats(0, 69))
def test_adding_a_failure_never_raises_a_level_at_or_above_it(items, target, age, score) -> None:
    """An explicit failure is point evidence at T - 1, so it never supports T or above. A
    scored failure sits at T x score / pass mark, below T: it never supports levels above T."""
    before = result(_rows(items))["p_levels"]
    explicit = result([*_rows(items), activity(target, days_ago=age, completed=None,
                                               passed=False)])["p_levels"]  # fmt: skip
    scored = result([*_rows(items), activity(target, days_ago=age, score=score, max_score=100,
                                             **CERTIFICATION)])["p_levels"]  # fmt: skip
    for level in range(target, 6):
        assert explicit[level - 1] <= before[level - 1] + 1e-9
    for level in range(target + 1, 6):
        assert scored[level - 1] <= before[level - 1] + 1e-9


@PROPERTY
@given(items=ratings, seed=st.integers(0, 10_000))
def test_the_order_of_import_never_changes_a_result(items, seed) -> None:
    rows = _rows(items)
    shuffled = [rows[i] for i in np.random.default_rng(seed).permutation(len(rows))]
    renumbered = [{**r, "record_id": 100 + i} for i, r in enumerate(shuffled)]
    for method in ("evidence", "latest", "decaying_average:65", "n_mastery:2"):
        a, b = result(rows, method=method), result(renumbered, method=method)
        assert a["mastery"] == pytest.approx(b["mastery"], nan_ok=True)
        assert a["support"] == pytest.approx(b["support"])


@PROPERTY
@given(items=ratings, value=st.floats(0, 5), age=st.floats(0, 700), older=st.floats(1, 700),
       source=st.sampled_from(["assessment", "attestation"]))  # fmt: skip
def test_the_same_evidence_moves_mastery_less_when_older_or_less_trusted(
    items, value, age, older, source
) -> None:
    base = result(_rows(items))["mastery"]

    def moved(**extra) -> float:
        return abs(result([*_rows(items), rating(value, **extra)])["mastery"] - base)

    assert moved(days_ago=age + older, source_kind=source) <= moved(
        days_ago=age, source_kind=source) + 1e-9  # fmt: skip
    assert moved(days_ago=age, source_kind="self_report") <= moved(
        days_ago=age, source_kind=source) + 1e-9  # fmt: skip


@PROPERTY
@given(items=ratings, targets_=st.lists(targets, max_size=4))
def test_explanations_always_add_up(items, targets_) -> None:
    rows = _rows(items) + [activity(t, days_ago=20 * i) for i, t in enumerate(targets_)]
    assert explain_evidence(weighed(rows), rules())["share"].sum() == pytest.approx(
        result(rows)["mastery"]
    )


def test_read_evidence_drops_nothing_that_shows_something() -> None:
    rows = [rating(2), activity(3), activity(3, completed=None)]
    assert len(read_evidence(frame(rows))) == 2
    assert len(roll_up(weighed(rows), rules())) == 1


def test_rules_for_no_competencies_are_empty_with_every_column() -> None:
    empty = CompetencyRules.build([]).frame

    assert empty.empty
    assert empty.index.name == "competency_id"
    assert empty.columns.tolist() == rules().frame.columns.tolist()
