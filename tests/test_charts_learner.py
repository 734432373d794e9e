"""The learner's charts: what each mark stands for."""

import pandas as pd

from charts.learner import evidence_timeline_chart, timeline_dots

TIMELINE = pd.DataFrame(
    {
        "occurred_at": pd.to_datetime(
            ["2026-10-22 09:00", "2026-10-22 09:00", "2026-10-22 15:30", "2026-10-22 10:00",
             "2026-10-22 11:00", "2026-03-01 12:00"], utc=True,
        ),
        "formal": [False, False, False, False, True, True],
        "verification": ["verified"] * 4 + ["not_needed"] * 2,
        "what": ["Attestation: SQL 3", "Attestation: Python 3", "Attestation: Communication 4",
                 "Attestation: Integrity 3.5", "Course: Statistics", "Course: SQL basics"],
    }
)  # fmt: skip


def test_records_of_one_day_share_a_dot_that_counts_them() -> None:
    dots = timeline_dots(TIMELINE)
    assert len(dots) == 3
    review = dots[(dots["kind"] == "Informal") & (dots["state"] == "Verified")].iloc[0]
    assert review["records"] == 4
    assert review["label"] == "4 records"
    assert review["named"].split("<br>") == [
        "Attestation: SQL 3", "Attestation: Python 3", "Attestation: Communication 4",
        "and 1 more",
    ]  # fmt: skip
    assert dots["records"].sum() == len(TIMELINE)


def test_every_record_is_drawn_once_and_sized_by_its_dot() -> None:
    figure = evidence_timeline_chart(TIMELINE)
    sizes = [size for trace in figure.data for size in trace.marker.size]
    assert sorted(sizes) == [1, 1, 4]
    assert {trace.name for trace in figure.data} == {"Verified", "Not needed"}
