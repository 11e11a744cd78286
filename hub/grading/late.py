"""The late policy as a pure function: (score, max score, seconds late, policy) -> outcome.

Lateness is real elapsed time (aware datetimes, compared in UTC), so a due date on the eve of a
daylight-saving change counts the hour that the clocks skip or repeat. A day is 86 400 seconds;
a submission t seconds late is in day ceil(t / 86 400).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from typing import Literal

from hub.course import LatePolicy

DAY_SECONDS = 24 * 60 * 60

Status = Literal["on_time", "late", "too_late"]


@dataclasses.dataclass(frozen=True)
class LateOutcome:
    """What the policy did to one submission; every number is one the export shows."""

    score: float  # raw score before the penalty
    max_score: float
    seconds_late: float  # after the (possibly extended) due time; 0 when on time
    days_late: int  # ceil(seconds_late / 1 day), 0 on time or within the grace period
    penalty: float  # points taken off: score - final_score
    final_score: float
    status: Status


def days_late(seconds_late: float, policy: LatePolicy) -> int:
    """Day count of a submission; lateness within the grace period counts as on time.

    Grace forgives the lateness entirely but does not shift the days: 1 s past the grace
    period is still day 1, counted from the due time.
    """
    if seconds_late <= 0 or seconds_late <= policy.grace_minutes * 60:
        return 0
    return math.ceil(seconds_late / DAY_SECONDS)


def apply_late_policy(
    score: float, max_score: float, seconds_late: float, policy: LatePolicy
) -> LateOutcome:
    """The final score of a submission `seconds_late` seconds after its due time.

    scale:  final = score x (1 - rate x days)          (syllabus: day 1 -> 90 %, ...)
    deduct: final = max(0, score - rate x days x max_score)
    More than `max_days` days late (t > max_days x 24 h): final = 0, status too_late.
    """
    if score < 0 or max_score < 0:
        raise ValueError(f"scores must not be negative (score={score}, max_score={max_score})")
    seconds = max(0.0, float(seconds_late))
    days = days_late(seconds, policy)
    if days == 0:
        return LateOutcome(score, max_score, seconds, 0, 0.0, score, "on_time")
    if days > policy.max_days:
        return LateOutcome(score, max_score, seconds, days, score, 0.0, "too_late")
    if policy.mode == "scale":
        final = score * max(0.0, 1.0 - policy.rate_per_day * days)
    else:
        final = max(0.0, score - policy.rate_per_day * days * max_score)
    # 1 - 0.1 x 3 is 0.7000000000000001 in floating point; grades need no more than 1e-6
    final = round(final, 6)
    return LateOutcome(score, max_score, seconds, days, round(score - final, 6), final, "late")


def seconds_between(due: dt.datetime, submitted: dt.datetime) -> float:
    """Real seconds from `due` to `submitted` (negative when early).

    Naive datetimes are UTC, as nbgrader's gradebook and ngshare store them.
    """
    return (_utc(submitted) - _utc(due)).total_seconds()


def _utc(when: dt.datetime) -> dt.datetime:
    if when.tzinfo is None:
        return when.replace(tzinfo=dt.UTC)
    return when.astimezone(dt.UTC)
