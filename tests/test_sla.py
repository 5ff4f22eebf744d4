"""SLA: business calendars, policies and the business-time math (docs/sla.md).

Every expected time is worked out by hand in the comments; none is computed with the code under test.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from fractions import Fraction

import pytest

from crm_cli.services import sla
from crm_cli.services.sla import Calendar, add_business, business_seconds, evaluate, parse_hours, risk_at

UTC = timezone.utc
H, M = 3600, 60


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def cal(hours, tz="Asia/Shanghai", holidays=()) -> Calendar:
    return Calendar("t", tz, parse_hours(hours), frozenset(holidays))


# Shanghai is UTC+8 all year: local 09:00 = 01:00Z, 12:00 = 04:00Z, 13:00 = 05:00Z, 18:00 = 10:00Z.
# 2026-11-23 is a Monday.
SH = cal(["mon-fri 09:00-18:00"])
LUNCH = cal(["mon-fri 09:00-12:00,13:00-18:00"])


def test_created_inside_hours_due_same_day():
    # Mon 10:00 local (02:00Z) + 4h -> Mon 14:00 local = 06:00Z
    assert add_business(SH, utc(2026, 11, 23, 2), 4 * H) == utc(2026, 11, 23, 6)


def test_lunch_break_is_skipped():
    # Mon 10:00 + 4h: 10-12 (2h), lunch, 13-15 (2h) -> 15:00 local = 07:00Z
    assert add_business(LUNCH, utc(2026, 11, 23, 2), 4 * H) == utc(2026, 11, 23, 7)


def test_business_seconds_of_a_week():
    # Mon 00:00 local .. next Mon 00:00 local: 5 days x 8h (lunch calendar) = 40h
    assert business_seconds(LUNCH, utc(2026, 11, 22, 16), utc(2026, 11, 29, 16)) == 40 * H


def test_evaluate_at_risk_basic():
    # created Mon 10:00 local, 4h -> due 14:00 local (06:00Z); at 13:30 local (05:30Z) 30m left <= 1h (25%)
    t = evaluate(SH, utc(2026, 11, 23, 2), 4 * H, 0, utc(2026, 11, 23, 5, 30))
    assert (t.state, t.due, t.left_s, t.over_s) == ("at-risk", utc(2026, 11, 23, 6), 30 * M, None)
    # risk starts with 1h left: 13:00 local = 05:00Z
    assert risk_at(SH, utc(2026, 11, 23, 2), 4 * H, 0, Fraction(1, 4)) == utc(2026, 11, 23, 5)
