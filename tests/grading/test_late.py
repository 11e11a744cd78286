"""The late policy at its edges (syllabus: 10 %/day, day 1 -> 90 %, > 72 h -> 0)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from hub.course import LatePolicy
from hub.grading.late import DAY_SECONDS, apply_late_policy, days_late, seconds_between

H = 3600
DEFAULT = LatePolicy()


@pytest.mark.parametrize(
    ("seconds", "days", "final", "status"),
    [
        (0, 0, 8.0, "on_time"),
        (-5 * H, 0, 8.0, "on_time"),
        (1, 1, 7.2, "late"),
        (24 * H, 1, 7.2, "late"),
        (24 * H + 1, 2, 6.4, "late"),
        (48 * H, 2, 6.4, "late"),
        (48 * H + 1, 3, 5.6, "late"),
        (72 * H, 3, 5.6, "late"),
        (72 * H + 1, 4, 0.0, "too_late"),
        (30 * 24 * H, 30, 0.0, "too_late"),
    ],
)
def test_scale_mode_edges(seconds, days, final, status):
    out = apply_late_policy(8.0, 10.0, seconds, DEFAULT)
    assert (out.days_late, out.final_score, out.status) == (days, final, status)
    assert out.penalty == pytest.approx(8.0 - final)
    assert out.score == 8.0 and out.max_score == 10.0


def test_full_marks_day_three_keeps_exactly_seventy_percent():
    # 1 - 0.1 x 3 is 0.7000000000000001 in floats; the grade must read 70, not 70.00000000000001
    assert apply_late_policy(100, 100, 72 * H, DEFAULT).final_score == 70.0


def test_deduct_mode_takes_rate_times_max_per_day_never_below_zero():
    deduct = LatePolicy(mode="deduct")
    assert apply_late_policy(8, 10, 1, deduct).final_score == 7.0
    assert apply_late_policy(8, 10, 48 * H + 1, deduct).final_score == 5.0
    low = apply_late_policy(1, 10, 48 * H + 1, deduct)
    assert (low.final_score, low.penalty, low.status) == (0.0, 1.0, "late")
    assert apply_late_policy(8, 10, 72 * H + 1, deduct).status == "too_late"


def test_grace_minutes_forgive_lateness_but_do_not_shift_days():
    grace = LatePolicy(grace_minutes=15)
    assert apply_late_policy(8, 10, 15 * 60, grace).status == "on_time"
    after = apply_late_policy(8, 10, 15 * 60 + 1, grace)
    assert (after.days_late, after.final_score) == (1, 7.2)
    assert days_late(24 * H + 1, grace) == 2


def test_custom_rate_and_cap():
    policy = LatePolicy(rate_per_day=0.25, max_days=2)
    assert apply_late_policy(10, 10, 30 * H, policy).final_score == 5.0
    assert apply_late_policy(10, 10, 48 * H + 1, policy).status == "too_late"
    never_late = LatePolicy(max_days=0)
    assert apply_late_policy(10, 10, 1, never_late).status == "too_late"


def test_negative_scores_are_rejected():
    with pytest.raises(ValueError, match="negative"):
        apply_late_policy(-1, 10, 0, DEFAULT)


def test_lateness_is_real_elapsed_time_across_the_october_dst_change():
    london = ZoneInfo("Europe/London")
    # Clocks go back at 02:00 BST on Sunday 25 October 2026: that day has 25 hours.
    due = dt.datetime(2026, 10, 24, 18, 30, tzinfo=london)  # 17:30 UTC
    same_wall_clock_next_day = dt.datetime(2026, 10, 25, 18, 30, tzinfo=london)  # 18:30 UTC
    seconds = seconds_between(due, same_wall_clock_next_day)
    assert seconds == 25 * H
    assert apply_late_policy(10, 10, seconds, DEFAULT).days_late == 2
    one_real_day = dt.datetime(2026, 10, 25, 17, 30, tzinfo=london)
    assert seconds_between(due, one_real_day) == DAY_SECONDS
    assert apply_late_policy(10, 10, DAY_SECONDS, DEFAULT).days_late == 1


def test_naive_timestamps_are_utc_as_nbgrader_stores_them():
    due = dt.datetime(2026, 10, 7, 18, 30, tzinfo=ZoneInfo("Europe/London"))  # 17:30 UTC
    assert seconds_between(due, dt.datetime(2026, 10, 7, 17, 30, 1)) == 1
