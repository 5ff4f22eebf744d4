"""SLA: business calendars, policies and the business-time math (docs/sla.md).

Every expected time is worked out by hand in the comments; none is computed with the code under test.
Asia/Shanghai is UTC+8 all year: local 09:00 = 01:00Z, 12:00 = 04:00Z, 13:00 = 05:00Z, 18:00 = 10:00Z.
November 2026: Mon 23, Tue 24, Wed 25, Thu 26, Fri 27, Sat 28, Sun 29, Mon 30.
"""

from __future__ import annotations

import json
import time
from datetime import date, datetime, timedelta, timezone
from fractions import Fraction

import pytest

from crm_cli.core.errors import CrmError, ValidationError
from crm_cli.services import sla
from crm_cli.services.sla import Calendar, Target, add_business, business_seconds, evaluate, parse_hours, risk_at

UTC = timezone.utc
H, M = 3600, 60


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def cal(*hours, tz="Asia/Shanghai", holidays=()) -> Calendar:
    return Calendar("t", tz, parse_hours(list(hours)), frozenset(holidays))


SH = cal("mon-fri 09:00-18:00")                       # 9 business hours a weekday
LUNCH = cal("mon-fri 09:00-12:00,13:00-18:00")        # 8 business hours a weekday
BERLIN = cal("mon-fri 09:00-17:00", tz="Europe/Berlin")


# --- the walk -------------------------------------------------------------------------------------


def test_created_inside_hours():
    # Mon 10:00 local (02:00Z) + 4h -> Mon 14:00 local = 06:00Z
    assert add_business(SH, utc(2026, 11, 23, 2), 4 * H) == utc(2026, 11, 23, 6)


def test_created_before_hours_starts_at_the_opening():
    # Mon 07:30 local (Sun 23:30Z): the clock starts Mon 09:00; + 1h -> 10:00 local = 02:00Z
    assert add_business(SH, utc(2026, 11, 22, 23, 30), 1 * H) == utc(2026, 11, 23, 2)


def test_created_after_hours_starts_next_morning():
    # Mon 19:00 local (11:00Z): starts Tue 09:00; + 2h -> Tue 11:00 local = Tue 03:00Z
    assert add_business(SH, utc(2026, 11, 23, 11), 2 * H) == utc(2026, 11, 24, 3)


def test_created_on_a_weekend_starts_monday():
    # Sat 28 11:00 local (03:00Z): starts Mon 30 09:00; + 30m -> 09:30 local = 01:30Z
    assert add_business(SH, utc(2026, 11, 28, 3), 30 * M) == utc(2026, 11, 30, 1, 30)


def test_holidays_have_no_hours():
    hol = cal("mon-fri 09:00-18:00", holidays=[date(2026, 11, 25)])  # Wed 25 is a holiday
    # created on the holiday, Wed 10:00 (02:00Z): starts Thu 09:00; + 1h -> Thu 10:00 local = Thu 02:00Z
    assert add_business(hol, utc(2026, 11, 25, 2), 1 * H) == utc(2026, 11, 26, 2)
    # spanning it: Tue 17:00 (09:00Z) + 2h: Tue 17-18 (1h), Wed off, Thu 09-10 (1h) -> Thu 10:00 = 02:00Z
    assert add_business(hol, utc(2026, 11, 24, 9), 2 * H) == utc(2026, 11, 26, 2)
    # the holiday counts nothing: Tue 00:00 .. Fri 00:00 local = Tue 9h + Thu 9h = 18h
    assert business_seconds(hol, utc(2026, 11, 23, 16), utc(2026, 11, 26, 16)) == 18 * H


def test_a_target_over_several_days_and_a_weekend():
    # Mon 10:00 + 24h ("1d" = 24 business hours): Mon 10-18 8h (16 left), Tue 9h (7 left),
    # Wed 09:00 + 7h -> Wed 16:00 local = 08:00Z
    assert sla.parse_target("1d", "--resolution") == 24 * H
    assert add_business(SH, utc(2026, 11, 23, 2), 24 * H) == utc(2026, 11, 25, 8)
    # Thu 15:00 (07:00Z) + 16h: Thu 15-18 3h (13 left), Fri 9h (4 left), weekend, Mon 30 09:00 + 4h
    # -> Mon 13:00 local = 05:00Z
    assert add_business(SH, utc(2026, 11, 26, 7), 16 * H) == utc(2026, 11, 30, 5)


def test_due_exactly_at_closing():
    # Mon 10:00 + 8h -> Mon 18:00 local (10:00Z), the closing time itself, not Tue 09:00
    assert add_business(SH, utc(2026, 11, 23, 2), 8 * H) == utc(2026, 11, 23, 10)
    # no time at closing: the clock starts at the next opening, Tue 09:00 = Tue 01:00Z
    assert add_business(SH, utc(2026, 11, 23, 10), 0) == utc(2026, 11, 24, 1)
    # inside hours, 0 is the start itself
    assert add_business(SH, utc(2026, 11, 23, 2), 0) == utc(2026, 11, 23, 2)
    assert business_seconds(SH, utc(2026, 11, 23, 2), utc(2026, 11, 23, 10)) == 8 * H


def test_lunch_break():
    # Mon 11:00 (03:00Z) + 3h: 11-12 1h, lunch, 13-15 2h -> 15:00 local = 07:00Z
    assert add_business(LUNCH, utc(2026, 11, 23, 3), 3 * H) == utc(2026, 11, 23, 7)
    # created at lunch, 12:30 (04:30Z) + 30m: starts 13:00 -> 13:30 local = 05:30Z
    assert add_business(LUNCH, utc(2026, 11, 23, 4, 30), 30 * M) == utc(2026, 11, 23, 5, 30)
    # due exactly at the start of lunch: 11:00 + 1h -> 12:00 local = 04:00Z (not 13:00)
    assert add_business(LUNCH, utc(2026, 11, 23, 3), 1 * H) == utc(2026, 11, 23, 4)
    # a whole week: 5 x 8h = 40h (Mon 00:00 local .. next Mon 00:00 local)
    assert business_seconds(LUNCH, utc(2026, 11, 22, 16), utc(2026, 11, 29, 16)) == 40 * H


def test_business_seconds_edges():
    assert business_seconds(SH, utc(2026, 11, 23, 6), utc(2026, 11, 23, 2)) == 0   # b before a
    assert business_seconds(SH, utc(2026, 11, 23, 2), utc(2026, 11, 23, 2)) == 0   # empty
    # Fri 17:00 (09:00Z) .. Mon 10:00 (02:00Z): Fri 17-18 1h + Mon 09-10 1h = 2h
    assert business_seconds(SH, utc(2026, 11, 27, 9), utc(2026, 11, 30, 2)) == 2 * H


def test_calendar_in_another_time_zone_across_dst():
    # Berlin leaves summer time on Sun 2026-10-25 (CEST UTC+2 -> CET UTC+1).
    # Fri Oct 23 16:00 CEST (14:00Z) + 2h: Fri 16-17 1h; Mon Oct 26 09:00 CET = 08:00Z, + 1h -> 09:00Z
    assert add_business(BERLIN, utc(2026, 10, 23, 14), 2 * H) == utc(2026, 10, 26, 9)
    # ...and enters it on Sun 2026-03-29 (CET -> CEST):
    # Fri Mar 27 16:00 CET (15:00Z) + 2h: Fri 16-17 1h; Mon Mar 30 09:00 CEST = 07:00Z, + 1h -> 08:00Z
    assert add_business(BERLIN, utc(2026, 3, 27, 15), 2 * H) == utc(2026, 3, 30, 8)
    # a business second is a real second: a whole-day window on the DST nights is 25h and 23h long
    sundays = cal("sun 00:00-24:00", tz="Europe/Berlin")
    assert business_seconds(sundays, utc(2026, 10, 24), utc(2026, 10, 26)) == 25 * H
    assert business_seconds(sundays, utc(2026, 3, 28), utc(2026, 3, 30)) == 23 * H


def test_the_built_in_24x7():
    c = sla.TWENTY_FOUR_SEVEN
    # Sat 23:00Z + 2h -> Sun 01:00Z (no closing, no weekend)
    assert add_business(c, utc(2026, 11, 28, 23), 2 * H) == utc(2026, 11, 29, 1)
    assert business_seconds(c, utc(2026, 11, 23), utc(2026, 11, 30)) == 7 * 24 * H


def test_the_walk_is_bounded_and_fast():
    with pytest.raises(CrmError, match="no business hours"):
        add_business(Calendar("empty", "UTC", tuple(() for _ in range(7))), utc(2026, 11, 23), 1)
    # only Mondays, and every Monday of the next 11 years a holiday: gives up after ~10 years
    mondays = {date(2026, 11, 23) + timedelta(weeks=n) for n in range(11 * 53)}
    only_mon = cal("mon 09:00-10:00", holidays=mondays)
    started = time.perf_counter()
    with pytest.raises(CrmError, match="within 10 years"):
        add_business(only_mon, utc(2026, 11, 23), 1)
    # the longest target, 10000h on 45h weeks (~222 weeks): Mon 09:00 + 10000h
    # 10000h = 222 weeks x 45h (9990h) + 10h: Mon 09:00 after 222 weeks, 10h more -> 9h Monday + 1h Tuesday
    # 2026-11-23 + 222 weeks (1554 days) = 2031-02-24 (a Monday); due Tue 2031-02-25 10:00 local = 02:00Z
    assert add_business(SH, utc(2026, 11, 23, 1), 10000 * H) == utc(2031, 2, 25, 2)
    assert business_seconds(SH, utc(2026, 11, 23, 1), utc(2031, 2, 25, 2)) == 10000 * H
    assert time.perf_counter() - started < 1.0


# --- one clock: met, due, at risk, breached, pauses -------------------------------------------------


def test_states_with_amounts():
    created = utc(2026, 11, 23, 2)  # Mon 10:00 local; 4h -> due Mon 14:00 local = 06:00Z; 25% = 1h
    due = utc(2026, 11, 23, 6)
    # 11:00 local: 3h left, more than 1h -> due
    assert evaluate(SH, created, 4 * H, 0, utc(2026, 11, 23, 3)) == Target("due", due, 3 * H, None)
    # 13:00 local: exactly 1h left -> at risk ("at most 25% left")
    assert evaluate(SH, created, 4 * H, 0, utc(2026, 11, 23, 5)) == Target("at-risk", due, 1 * H, None)
    # 13:30 local: 30m left
    assert evaluate(SH, created, 4 * H, 0, utc(2026, 11, 23, 5, 30)) == Target("at-risk", due, 30 * M, None)
    # Tue 10:00 local: breached by Mon 14-18 4h + Tue 09-10 1h = 5h (business time)
    assert evaluate(SH, created, 4 * H, 0, utc(2026, 11, 24, 2)) == Target("breached", due, None, 5 * H)
    # met at 13:59 local, evaluated any time later: met
    assert evaluate(SH, created, 4 * H, 0, utc(2026, 12, 1), met_at=utc(2026, 11, 23, 5, 59)) == \
        Target("met", due, None, None)
    # met exactly at the due time: met
    assert evaluate(SH, created, 4 * H, 0, utc(2026, 12, 1), met_at=due).state == "met"
    # met late, Mon 17:15 local (09:15Z): breached by 14:00-17:15 = 3h15m
    assert evaluate(SH, created, 4 * H, 0, utc(2026, 12, 1), met_at=utc(2026, 11, 23, 9, 15)) == \
        Target("breached", due, None, 3 * H + 15 * M)
    assert sla.describe(Target("breached", due, None, 3 * H + 15 * M)) == "breached by 3h15m"
    assert sla.describe(Target("at-risk", due, 30 * M, None)) == "at risk: 30m left"
    assert sla.describe(Target("due", due, 3 * H, None)) == "due in 3h"


def test_breached_at_closing_counts_no_business_time_until_the_opening():
    # Mon 10:00 + 8h -> due Mon 18:00 (10:00Z); at 18:30 local it is breached, by 0 business seconds
    assert evaluate(SH, utc(2026, 11, 23, 2), 8 * H, 0, utc(2026, 11, 23, 10, 30)) == \
        Target("breached", utc(2026, 11, 23, 10), None, 0)
    # Tue 09:20 local: by 20m
    assert evaluate(SH, utc(2026, 11, 23, 2), 8 * H, 0, utc(2026, 11, 24, 1, 20)).over_s == 20 * M


def test_the_at_risk_share_and_risk_at():
    created = utc(2026, 11, 23, 2)  # Mon 10:00 local
    # 4h at 25%: at risk with 1h left: 10:00 + 3h = 13:00 local = 05:00Z
    assert risk_at(SH, created, 4 * H, 0, Fraction(1, 4)) == utc(2026, 11, 23, 5)
    # 30m at 1/3: 10m left = 600 s; 10:00 + 20m = 10:20 local = 02:20Z
    assert risk_at(SH, created, 30 * M, 0, Fraction(1, 3)) == utc(2026, 11, 23, 2, 20)
    # 1h at 1/7: 3600/7 = 514.28 s, rounded down to 514 s; 3600 - 514 = 3086 s = 51m26s -> 10:51:26
    assert risk_at(SH, created, 1 * H, 0, Fraction(1, 7)) == utc(2026, 11, 23, 2, 51, 26)
    # with 2h paused: 10:00 + 3h + 2h = 15:00 local = 07:00Z
    assert risk_at(SH, created, 4 * H, 2 * H, Fraction(1, 4)) == utc(2026, 11, 23, 7)
    # 10%: at 13:30 local 30m of 4h left is more than 24m -> due
    assert evaluate(SH, created, 4 * H, 0, utc(2026, 11, 23, 5, 30), at_risk_share=Fraction(1, 10)).state == "due"


def test_a_pause_inside_one_day():
    # created Mon 09:00 (01:00Z), resolution 4h; pending 10:00-11:30 local: 1h30m paused
    created = utc(2026, 11, 23, 1)
    paused = business_seconds(SH, utc(2026, 11, 23, 2), utc(2026, 11, 23, 3, 30))
    assert paused == 90 * M
    # due = 09:00 + 4h + 1h30m = 14:30 local = 06:30Z; at 12:00 local: 14:30 - 12:00 = 2h30m left
    assert evaluate(SH, created, 4 * H, paused, utc(2026, 11, 23, 4)) == \
        Target("due", utc(2026, 11, 23, 6, 30), 150 * M, None)
    # while still pending at 11:30 (pending since 10:00): due if resumed now is also 14:30;
    # worked 09:00-10:00 = 1h, so 3h left (11:30 -> 14:30)
    assert evaluate(SH, created, 4 * H, 0, utc(2026, 11, 23, 3, 30), paused_since=utc(2026, 11, 23, 2)) == \
        Target("due", utc(2026, 11, 23, 6, 30), 3 * H, None)


def test_a_pause_across_a_weekend_lands_inside_hours():
    # created Fri 27 16:00 (08:00Z), resolution 4h; pending Fri 17:00 (09:00Z) .. Mon 30 10:00 (02:00Z)
    created = utc(2026, 11, 27, 8)
    paused = business_seconds(SH, utc(2026, 11, 27, 9), utc(2026, 11, 30, 2))
    assert paused == 2 * H  # Fri 17-18 + Mon 09-10; the weekend is not business time
    # worked Fri 16-17 (1h) then from Mon 10:00 the 3h left -> Mon 13:00 local = 05:00Z
    # (65 wall-clock hours of pause added to the due time would have given a Sunday 06:00 nonsense)
    t = evaluate(SH, created, 4 * H, paused, utc(2026, 11, 30, 2))
    assert t == Target("due", utc(2026, 11, 30, 5), 3 * H, None)
    # while pending on Sunday 12:00 local (04:00Z): the running pause holds Fri 17-18 (1h) of business time;
    # due if resumed now = Fri 16:00 + 4h + 1h = Fri 16-18 2h + Mon 09:00 + 3h = Mon 12:00 local = 04:00Z,
    # 3h left (Sun 12:00 .. Mon 12:00 holds Mon 09-12)
    assert evaluate(SH, created, 4 * H, 0, utc(2026, 11, 29, 4), paused_since=utc(2026, 11, 27, 9)) == \
        Target("due", utc(2026, 11, 30, 4), 3 * H, None)


def test_reopen_after_close_continues_the_clock():
    created = utc(2026, 11, 23, 1)  # Mon 09:00 local, resolution 8h: due Mon 17:00 local = 09:00Z
    # resolved Mon 15:00 local (07:00Z): met
    assert evaluate(SH, created, 8 * H, 0, utc(2026, 11, 23, 7), met_at=utc(2026, 11, 23, 7)).state == "met"
    # while closed (paused since Mon 15:00), Tue 10:00 local: paused Mon 15-18 3h + Tue 09-10 1h = 4h;
    # due if reopened now = 09:00 + 8h + 4h = Mon 9h + Tue 3h -> Tue 12:00 local = 04:00Z, 2h left (25%: at risk)
    assert evaluate(SH, created, 8 * H, 0, utc(2026, 11, 24, 2), paused_since=utc(2026, 11, 23, 7)) == \
        Target("at-risk", utc(2026, 11, 24, 4), 2 * H, None)
    # reopened Tue 11:00 local (03:00Z): paused Mon 15-18 3h + Tue 09-11 2h = 5h
    paused = business_seconds(SH, utc(2026, 11, 23, 7), utc(2026, 11, 24, 3))
    assert paused == 5 * H
    # worked 6h, 2h left: due Tue 13:00 local = 05:00Z; at 12:30 local 30m left
    due = utc(2026, 11, 24, 5)
    assert evaluate(SH, created, 8 * H, paused, utc(2026, 11, 24, 4, 30)) == Target("at-risk", due, 30 * M, None)
    # not resolved by Tue 14:00 local: breached by 1h
    assert evaluate(SH, created, 8 * H, paused, utc(2026, 11, 24, 6)) == Target("breached", due, None, 1 * H)
    # resolved again Tue 12:00 local: met
    assert evaluate(SH, created, 8 * H, paused, utc(2026, 12, 1), met_at=utc(2026, 11, 24, 4)).state == "met"


def test_a_priority_change_recomputes_from_creation():
    created = utc(2026, 11, 23, 2)  # Mon 10:00 local
    # normal: response 4h -> Mon 14:00 (06:00Z); resolution 16h -> Mon 10-18 8h + Tue 09:00 + 8h = Tue 17:00 (09:00Z)
    now = utc(2026, 11, 23, 3)  # Mon 11:00 local
    assert evaluate(SH, created, 4 * H, 0, now) == Target("due", utc(2026, 11, 23, 6), 3 * H, None)
    assert evaluate(SH, created, 16 * H, 0, now) == Target("due", utc(2026, 11, 24, 9), 15 * H, None)
    # changed to urgent at 11:00: response 30m, resolution 4h, from the creation at 10:00:
    # response due 10:30 (02:30Z): breached by 30m; resolution due 14:00 (06:00Z): 3h left
    assert evaluate(SH, created, 30 * M, 0, now) == Target("breached", utc(2026, 11, 23, 2, 30), None, 30 * M)
    assert evaluate(SH, created, 4 * H, 0, now) == Target("due", utc(2026, 11, 23, 6), 3 * H, None)


# --- parsing ----------------------------------------------------------------------------------------


def test_hours_are_parsed_into_sorted_windows():
    w = parse_hours(["mon-fri 09:00-12:00,13:00-18:00", "sat 10:00-14:00"])
    assert w[0] == w[4] == ((9 * H, 12 * H), (13 * H, 18 * H))
    assert w[5] == ((10 * H, 14 * H),) and w[6] == ()
    assert sla.format_hours(w) == "mon-fri 09:00-12:00,13:00-18:00; sat 10:00-14:00"
    # day lists, full names, ';' between specs, 24:00 as an end, touching windows joined
    w = parse_hours(["Monday,wed 13:00-24:00; mon 08:00-13:00"])
    assert w[0] == ((8 * H, 24 * H),) and w[2] == ((13 * H, 24 * H),) and w[1] == ()


@pytest.mark.parametrize("spec, message", [
    ("mon-fri 09:00-12:00,11:00-13:00", "overlapping windows on mon: 09:00-12:00 and 11:00-13:00"),
    ("mun 09:00-12:00", "bad day name 'mun'"),
    ("fri-mon 09:00-12:00", "the day range 'fri-mon' ends before it starts"),
    ("mon 25:00-26:00", "bad time '25:00'"),
    ("mon 09:60-10:00", "bad time '09:60'"),
    ("mon 9-10", "bad time '9'"),
    ("mon 24:00-24:00", "bad time '24:00'"),
    ("mon 12:00-09:00", "the window 12:00-09:00 ends at or before it starts"),
    ("mon 09:00-09:00", "the window 09:00-09:00 ends at or before it starts"),
    ("09:00-18:00", "cannot read '09:00-18:00'"),
    ("mon 09:00 to 18:00", "cannot read the window"),
    ("", "no business hours given"),
])
def test_bad_hours(spec, message):
    with pytest.raises(ValidationError, match=message.replace("(", r"\(")):
        parse_hours([spec])


def test_durations():
    assert sla.parse_target("30m", "--response") == 1800
    assert sla.parse_target("4h", "--response") == 14400
    assert sla.parse_target("1h30m", "--response") == 5400
    assert sla.parse_target(" 2D ", "--response") == 2 * 24 * H
    for bad, message in [("0", "must be more than 0"), ("0m", "must be more than 0"), ("-5m", "more than 0"),
                         ("30", "needs a unit"), ("soon", "cannot read 'soon'"), ("1h1h", "cannot read"),
                         ("30m1h", "cannot read"), ("1.5h", "cannot read"), ("10001h", "at most 10000h")]:
        with pytest.raises(ValidationError, match=message):
            sla.parse_target(bad, "--response")
    assert [sla.format_seconds(s) for s in (0, 45, 1800, 5400, 93600, 3605)] == ["0m", "45s", "30m", "1h30m", "26h",
                                                                                  "1h"]


# --- commands -------------------------------------------------------------------------------------


CN = ["sla", "calendar", "add", "cn", "--tz", "Asia/Shanghai", "--hours", "mon-fri 09:00-12:00,13:00-18:00",
      "--hours", "sat 10:00-14:00", "--holiday", "2026-10-01"]


def test_calendar_add_list_show_in_every_format(cli):
    r = cli(*CN, ok=True)
    assert r.stderr == "created SLA calendar 1: cn (Asia/Shanghai: mon-fri 09:00-12:00,13:00-18:00; " \
        "sat 10:00-14:00)\n"
    rows = cli.json("sla", "calendar", "list")
    assert rows == [
        {"id": None, "name": "24x7", "tz": "UTC", "hours": "mon-sun 00:00-24:00", "holidays": [], "built_in": True,
         "policies": []},
        {"id": 1, "name": "cn", "tz": "Asia/Shanghai", "hours": "mon-fri 09:00-12:00,13:00-18:00; sat 10:00-14:00",
         "holidays": ["2026-10-01"], "built_in": False, "policies": []}]
    assert cli("sla", "calendar", "list", "-f", "plain", ok=True).stdout == (
        "\t24x7\tUTC\tmon-sun 00:00-24:00\t\t\n"
        "1\tcn\tAsia/Shanghai\tmon-fri 09:00-12:00,13:00-18:00; sat 10:00-14:00\t2026-10-01\t\n")
    assert cli("sla", "calendar", "list", "-f", "csv", ok=True).stdout.splitlines() == [
        "id,name,tz,hours,holidays,built_in,policies", ",24x7,UTC,mon-sun 00:00-24:00,,true,",
        "1,cn,Asia/Shanghai,\"mon-fri 09:00-12:00,13:00-18:00; sat 10:00-14:00\",2026-10-01,false,"]
    lines = cli("sla", "calendar", "list", "-f", "jsonl", ok=True).stdout.splitlines()
    assert [json.loads(line)["name"] for line in lines] == ["24x7", "cn"]
    md = cli("sla", "calendar", "list", "-f", "markdown", ok=True).stdout
    assert md.splitlines()[0].split() == ["|", "ID", "|", "Name", "|", "Time", "zone", "|", "Hours", "|", "Holidays",
                                          "|", "Policies", "|"] and "| cn     |" in md
    table = cli("sla", "calendar", "list", "-f", "table", ok=True).stdout
    assert "Asia/Shanghai" in table and "24x7" in table
    assert cli.json("sla", "calendar", "show", "cn")["holidays"] == ["2026-10-01"]
    assert cli.json("sla", "calendar", "show", "1")["name"] == "cn"
    assert cli.json("sla", "calendar", "show", "24x7")["built_in"] is True
    assert cli("sla", "calendar", "show", "cn", "-f", "plain", ok=True).stdout == (
        "id\t1\nname\tcn\ntz\tAsia/Shanghai\nhours\tmon-fri 09:00-12:00,13:00-18:00; sat 10:00-14:00\n"
        "holidays\t2026-10-01\nbuilt_in\tfalse\n")
    for fmt in ("table", "csv", "markdown", "jsonl"):
        assert "Asia/Shanghai" in cli("sla", "calendar", "show", "cn", "-f", fmt, ok=True).stdout


def test_calendar_edit_holidays_and_history(cli):
    cli(*CN, ok=True)
    r = cli("sla", "calendar", "edit", "cn", "--hours", "mon-fri 08:30-17:30", "--name", "china", ok=True)
    assert r.stderr == "updated SLA calendar 1: china (Asia/Shanghai: mon-fri 08:30-17:30)\n"
    r = cli("sla", "calendar", "holiday", "add", "china", "2026-10-02", "2026-10-01", ok=True)
    assert r.stderr == "added holiday 2026-10-02 to SLA calendar 'china'\nalready a holiday of 'china': 2026-10-01\n"
    r = cli("sla", "calendar", "holiday", "remove", "china", "2026-10-01", ok=True)
    assert r.stderr == "removed holiday 2026-10-01 from SLA calendar 'china'\n"
    assert cli.json("sla", "calendar", "show", "china")["holidays"] == ["2026-10-02"]
    r = cli("sla", "calendar", "holiday", "remove", "china", "2026-10-05")
    assert r.exit_code == 3 and r.stderr == ("crm: error: 2026-10-05 is not a holiday of calendar 'china' "
                                             "(see crm sla calendar show china)\n")
    hist = cli.json("history", "sla-calendar", "1")
    assert [(h["action"], h["field"], h["old"], h["new"]) for h in hist][1:] == [
        ("update", "holidays", None, "2026-10-01"),
        ("update", "name", "cn", "china"),
        ("update", "hours", "mon-fri 09:00-12:00,13:00-18:00; sat 10:00-14:00", "mon-fri 08:30-17:30"),
        ("update", "holidays", None, "2026-10-02"),
        ("update", "holidays", "2026-10-01", None)]
    r = cli("sla", "calendar", "delete", "china")
    assert r.exit_code == 2 and "refusing without --yes" in r.stderr
    r = cli("sla", "calendar", "delete", "china", "--yes", ok=True)
    assert r.stderr == "deleted SLA calendar 'china'\n"
    assert [c["name"] for c in cli.json("sla", "calendar", "list")] == ["24x7"]


def test_policies_and_specificity(cli):
    from crm_cli.core import db

    cli(*CN, ok=True)
    r = cli("sla", "policy", "set", "--priority", "urgent", "--response", "30m", "--resolution", "4h",
            "--calendar", "cn", ok=True)
    assert r.stderr == "created SLA policy 1: urgent/any tier, response 30m, resolution 4h, calendar cn\n"
    cli("sla", "policy", "set", "--priority", "urgent", "--tier", "a", "--response", "15m", "--resolution", "2h",
        ok=True)
    cli("sla", "policy", "set", "--priority", "normal", "--response", "4h", "--resolution", "2d", ok=True)
    r = cli("sla", "policy", "set", "--priority", "normal", "--resolution", "1h30m", "--response", "1h", ok=True)
    assert r.stderr == "updated SLA policy 3: normal/any tier, response 1h, resolution 1h30m, calendar 24x7\n"
    assert cli.json("sla", "policy", "list") == [
        {"id": 2, "priority": "urgent", "tier": "A", "response": "15m", "resolution": "2h", "response_s": 900,
         "resolution_s": 7200, "calendar": "24x7"},
        {"id": 1, "priority": "urgent", "tier": None, "response": "30m", "resolution": "4h", "response_s": 1800,
         "resolution_s": 14400, "calendar": "cn"},
        {"id": 3, "priority": "normal", "tier": None, "response": "1h", "resolution": "1h30m", "response_s": 3600,
         "resolution_s": 5400, "calendar": "24x7"}]
    assert cli("sla", "policy", "list", "-f", "plain", ok=True).stdout == (
        "2\turgent\tA\t15m\t2h\t24x7\n1\turgent\t\t30m\t4h\tcn\n3\tnormal\t\t1h\t1h30m\t24x7\n")
    assert cli.json("sla", "calendar", "show", "cn")["policies"] == ["urgent/any tier"]
    with db.session_scope() as s:
        assert sla.policy_for(s, "urgent", "A") == sla.Policy("urgent", "A", 900, 7200, "24x7")
        assert sla.policy_for(s, "urgent", "B") == sla.Policy("urgent", None, 1800, 14400, "cn")
        assert sla.policy_for(s, "urgent", None) == sla.Policy("urgent", None, 1800, 14400, "cn")
        assert sla.policy_for(s, "low", "A") is None
        c = sla.get_calendar(s, "cn")
        assert c.tz == "Asia/Shanghai" and c.holidays == frozenset({date(2026, 10, 1)})
        assert c.windows[5] == ((10 * H, 14 * H),)
        assert sla.get_calendar(s, None) is sla.get_calendar(s, "24x7") is sla.TWENTY_FOUR_SEVEN
    # a calendar a policy uses is not deleted
    r = cli("sla", "calendar", "delete", "cn", "--yes")
    assert r.exit_code == 4 and r.stderr.startswith(
        "crm: error: SLA calendar 'cn' is used by the policy urgent/any tier (") and r.stderr.count("\n") == 1
    cli("sla", "policy", "set", "--priority", "urgent", "--calendar", "24x7", ok=True)
    r = cli("sla", "policy", "delete", "--priority", "urgent", "--tier", "A")
    assert r.exit_code == 2 and "refusing without --yes" in r.stderr
    r = cli("sla", "policy", "delete", "--priority", "urgent", "--tier", "A", "--yes", ok=True)
    assert r.stderr == "deleted SLA policy urgent/tier A\n"
    r = cli("sla", "policy", "delete", "--priority", "urgent", "--tier", "A", "--yes")
    assert r.exit_code == 3 and "no SLA policy for urgent/tier A" in r.stderr
    cli("sla", "calendar", "delete", "cn", "--yes", ok=True)
    assert [h["action"] for h in cli.json("history", "sla-policy", "2")] == ["create", "purge"]


def test_due_command_in_another_time_zone_than_the_user(cli):
    # the user is in Shanghai (CRM_TIMEZONE), the calendar in Berlin; Berlin leaves summer time on Oct 25.
    cli("sla", "calendar", "add", "berlin", "--tz", "Europe/Berlin", "--hours", "mon-fri 09:00-17:00", ok=True)
    # Fri Oct 23 22:00 Shanghai = 14:00Z = 16:00 CEST; 2h: Fri 16-17 CEST 1h, Mon Oct 26 09:00-10:00 CET 1h
    # -> 10:00 CET = 09:00Z = 17:00 Shanghai; at risk with 30m left: 09:30 CET = 08:30Z = 16:30 Shanghai
    rec = cli.json("sla", "due", "--calendar", "berlin", "--from", "2026-10-23 22:00", "--target", "2h")
    assert rec == {"calendar": "berlin", "tz": "Europe/Berlin", "start": "2026-10-23T22:00:00+08:00",
                   "clock_starts": "2026-10-23T22:00:00+08:00", "target": "2h", "target_s": 7200, "paused_s": 0,
                   "at_risk_from": "2026-10-26T16:30:00+08:00", "due": "2026-10-26T17:00:00+08:00",
                   "due_calendar_time": "2026-10-26T10:00:00+01:00"}
    # from Sat 10:00 Shanghai (Sat 02:00Z): the clock starts Mon 09:00 CET = 08:00Z = 16:00 Shanghai;
    # 30m + 1h paused -> Mon 10:30 CET = 09:30Z = 17:30 Shanghai
    rec = cli.json("sla", "due", "--calendar", "berlin", "--from", "2026-10-24 10:00", "--target", "30m",
                   "--paused", "1h")
    assert (rec["clock_starts"], rec["due"]) == ("2026-10-26T16:00:00+08:00", "2026-10-26T17:30:00+08:00")
    # the at-risk share from the config: 10% of 2h = 12m -> at risk from 09:48 CET = 08:48Z = 16:48 Shanghai
    cli("config", "set", "sla_at_risk", "10%", ok=True)
    rec = cli.json("sla", "due", "--calendar", "berlin", "--from", "2026-10-23 22:00", "--target", "2h")
    assert rec["at_risk_from"] == "2026-10-26T16:48:00+08:00"


def test_the_at_risk_share_config_key(cli):
    from crm_cli.core import config

    assert sla.at_risk_share() == Fraction(1, 4)
    cli("config", "set", "sla_at_risk", "20", ok=True)
    config.reset()
    assert sla.at_risk_share() == Fraction(1, 5)
    for bad in ("0", "100", "lots"):
        r = cli("config", "set", "sla_at_risk", bad)
        assert r.exit_code == 2 and r.stderr.count("\n") == 1 and "sla_at_risk" in r.stderr


BAD_INPUT = [
    (["sla", "calendar", "add", "x", "--tz", "Mars/Base", "--hours", "mon 09:00-10:00"], 2,
     "--tz: unknown time zone 'Mars/Base'"),
    (["sla", "calendar", "add", "x", "--tz", "UTC", "--hours", "mon 09:00-12:00,11:00-13:00"], 2,
     "--hours: overlapping windows on mon: 09:00-12:00 and 11:00-13:00"),
    (["sla", "calendar", "add", "x", "--tz", "UTC", "--hours", "mun 09:00-12:00"], 2, "--hours: bad day name 'mun'"),
    (["sla", "calendar", "add", "x", "--tz", "UTC", "--hours", "mon 09:00-25:00"], 2, "--hours: bad time '25:00'"),
    (["sla", "calendar", "add", "x", "--tz", "UTC", "--hours", "mon 18:00-09:00"], 2,
     "--hours: the window 18:00-09:00 ends at or before it starts"),
    (["sla", "calendar", "add", "x", "--tz", "UTC", "--hours", "mon 09:00-10:00", "--holiday", "2026-02-30"], 2,
     "--holiday: bad date '2026-02-30'"),
    (["sla", "calendar", "add", "x", "--tz", "UTC"], 2, "missing --hours"),
    (["sla", "calendar", "add", "24x7", "--tz", "UTC", "--hours", "mon 09:00-10:00"], 2,
     "'24x7' is the built-in calendar"),
    (["sla", "calendar", "add", "cn", "--tz", "UTC", "--hours", "mon 09:00-10:00"], 4,
     "an SLA calendar 'cn' exists already"),
    (["sla", "calendar", "edit", "24x7", "--tz", "UTC"], 2, "the '24x7' calendar is built in"),
    (["sla", "calendar", "delete", "24x7", "--yes"], 2, "the '24x7' calendar is built in"),
    (["sla", "calendar", "edit", "cn", "--tz", "Nowhere"], 2, "--tz: unknown time zone 'Nowhere'"),
    (["sla", "calendar", "edit", "cn"], 2, "nothing to change"),
    (["sla", "calendar", "show", "nope"], 3, "no SLA calendar 'nope' (see crm sla calendar list)"),
    (["sla", "calendar", "holiday", "add", "nope", "2026-10-01"], 3, "no SLA calendar 'nope'"),
    (["sla", "calendar", "holiday", "add", "cn", "01/10/2026"], 2, "DATE: bad date '01/10/2026'"),
    (["sla", "policy", "set", "--priority", "urgent", "--response", "30m", "--resolution", "4h", "--calendar",
      "nope"], 3, "no SLA calendar 'nope'"),
    (["sla", "policy", "set", "--priority", "urgent", "--response", "0", "--resolution", "4h"], 2,
     "--response: must be more than 0, not '0'"),
    (["sla", "policy", "set", "--priority", "urgent", "--response", "-5m", "--resolution", "4h"], 2,
     "--response: must be more than 0"),
    (["sla", "policy", "set", "--priority", "urgent", "--response", "soon", "--resolution", "4h"], 2,
     "--response: cannot read 'soon' as a duration"),
    (["sla", "policy", "set", "--priority", "urgent", "--response", "30m"], 2, "a new policy needs --resolution"),
    (["sla", "policy", "set", "--priority", "asap", "--response", "30m", "--resolution", "4h"], 2,
     "--priority must be one of low, normal, high, urgent, not 'asap'"),
    (["sla", "policy", "set", "--priority", "low", "--tier", "Z", "--response", "30m", "--resolution", "4h"], 2,
     "--tier must be one of A, B, C, D, not 'Z'"),
    (["sla", "policy", "set", "--priority", "low", "--response", "5h", "--resolution", "4h"], 2,
     "the response target (5h) is longer than the resolution target (4h)"),
    (["sla", "policy", "set", "--response", "30m", "--resolution", "4h"], 2, "missing --priority"),
    (["sla", "due", "--calendar", "nope", "--from", "2026-11-23 10:00", "--target", "1h"], 3, "no SLA calendar"),
    (["sla", "due", "--from", "2026-11-23 10:00", "--target", "1x"], 2, "--target: cannot read '1x'"),
]


def test_bad_input_is_one_line_and_changes_nothing(cli):
    cli(*CN, ok=True)
    cli("sla", "policy", "set", "--priority", "high", "--response", "1h", "--resolution", "8h", ok=True)

    def state():
        return (cli("sla", "calendar", "list", "-f", "json", ok=True).stdout,
                cli("sla", "policy", "list", "-f", "json", ok=True).stdout, cli.json("history", "sla-calendar", "1"))

    before = state()
    for args, code, message in BAD_INPUT:
        r = cli(*args)
        assert r.exit_code == code, (args, r.stderr)
        assert r.stderr.startswith("crm: error: ") and message in r.stderr and r.stderr.count("\n") == 1, r.stderr
    assert state() == before


def test_the_worked_examples_of_docs_sla_md(cli):
    cli("sla", "calendar", "add", "cn", "--tz", "Asia/Shanghai", "--hours", "mon-fri 09:00-12:00,13:00-18:00",
        ok=True)
    # 1. Mon 07:40 + 10h: Mon 09-12 + 13-18 = 8h, Tue 09-11 = 2h -> Tue 11:00; 30m -> Mon 09:30
    assert cli.json("sla", "due", "--calendar", "cn", "--from", "2026-11-23 07:40", "--target", "10h")["due"] == \
        "2026-11-24T11:00:00+08:00"
    assert cli.json("sla", "due", "--calendar", "cn", "--from", "2026-11-23 07:40", "--target", "30m")["due"] == \
        "2026-11-23T09:30:00+08:00"
    # at Tue 10:00 local (02:00Z): 9h used, 1h left of 10h, at most 2h30m -> at risk
    assert evaluate(LUNCH, utc(2026, 11, 22, 23, 40), 10 * H, 0, utc(2026, 11, 24, 2)) == \
        Target("at-risk", utc(2026, 11, 24, 3), 1 * H, None)
    # 2. Fri 16:00 + 4h + 2h paused: Fri 16-18 2h, Mon 09-12 3h, 13-14 1h -> Mon 14:00
    assert cli.json("sla", "due", "--calendar", "cn", "--from", "2026-11-27 16:00", "--target", "4h",
                    "--paused", "2h")["due"] == "2026-11-30T14:00:00+08:00"
    assert business_seconds(LUNCH, utc(2026, 11, 27, 9), utc(2026, 11, 30, 2)) == 2 * H
    # 3. 9h calendar, created Mon 09:00 (01:00Z), paused Mon 15:00 - Tue 11:00 = 5h business;
    # urgent 4h from creation: Mon 09:00 + 9h -> Mon 18:00 (10:00Z); at Tue 11:00 (03:00Z) over Tue 09-11 = 2h
    assert evaluate(SH, utc(2026, 11, 23, 1), 4 * H, 5 * H, utc(2026, 11, 24, 3)) == \
        Target("breached", utc(2026, 11, 23, 10), None, 2 * H)
