"""The one date parser and the money parser."""

from datetime import date, datetime, timezone

import pytest
from hypothesis import given, strategies as st

from crm_cli.core import context
from crm_cli.core.dates import parse_date, parse_duration, parse_range, parse_when
from crm_cli.core.errors import ValidationError
from crm_cli.core.money import Money, parse_money

# Monday 2026-11-23 09:00 in Shanghai
BASE = datetime(2026, 11, 23, 1, 0, tzinfo=timezone.utc)


@pytest.fixture(autouse=True)
def shanghai(monkeypatch):
    monkeypatch.setenv("CRM_TIMEZONE", "Asia/Shanghai")
    monkeypatch.setenv("CRM_CURRENCY", "CNY")
    from crm_cli.core import config

    config.reset()
    context.reset()
    yield
    context.reset()


def local(text):
    w = parse_when(text, base=BASE)
    return w.at.strftime("%Y-%m-%d %H:%M"), w.has_time


@pytest.mark.parametrize("text,expected", [
    ("2026-12-01", ("2026-12-01 00:00", False)),
    ("2026-12-01T14:30", ("2026-12-01 14:30", True)),
    ("2026-12-01 14:30", ("2026-12-01 14:30", True)),
    ("2026-12-01T06:30:00Z", ("2026-12-01 14:30", True)),
    ("today", ("2026-11-23 00:00", False)),
    ("tomorrow", ("2026-11-24 00:00", False)),
    ("yesterday", ("2026-11-22 00:00", False)),
    ("明天", ("2026-11-24 00:00", False)),
    ("monday", ("2026-11-30 00:00", False)),
    ("fri", ("2026-11-27 00:00", False)),
    ("next friday 3pm", ("2026-11-27 15:00", True)),
    ("tomorrow 9:30", ("2026-11-24 09:30", True)),
    ("today noon", ("2026-11-23 12:00", True)),
    ("+3d", ("2026-11-26 00:00", False)),
    ("-2w", ("2026-11-09 00:00", False)),
    ("+1m", ("2026-12-23 00:00", False)),
    ("+4h", ("2026-11-23 13:00", True)),
    ("in 2 weeks", ("2026-12-07 00:00", False)),
    ("3 days ago", ("2026-11-20 00:00", False)),
    ("eow", ("2026-11-29 23:59", False)),
    ("eom", ("2026-11-30 23:59", False)),
    ("eoq", ("2026-12-31 23:59", False)),
    ("eoy", ("2026-12-31 23:59", False)),
    ("25 Dec 2026", ("2026-12-25 00:00", False)),
    ("2026年12月5日", ("2026-12-05 00:00", False)),
    ("now", ("2026-11-23 09:00", True)),
])
def test_date_forms(text, expected):
    assert local(text) == expected


@pytest.mark.parametrize("text", ["someday", "", "2026-13-45", "next blursday", "+3 parsecs", "32/13/2026"])
def test_bad_dates_list_accepted_forms(text):
    with pytest.raises(ValidationError) as exc:
        parse_when(text, base=BASE, option="--due")
    assert "--due" in str(exc.value)


def test_range_and_duration():
    start, end = parse_range("2026-01-01..2026-03-31")
    assert start.date() == date(2026, 1, 1) and end.date() == date(2026, 4, 1)
    assert parse_duration("14d").days == 14 and parse_duration("2w").days == 14
    with pytest.raises(ValidationError):
        parse_range("2026-03-01..2026-01-01")
    with pytest.raises(ValidationError):
        parse_duration("soon")


def test_dst_wall_clock_kept(monkeypatch):
    monkeypatch.setenv("CRM_TIMEZONE", "Europe/Berlin")
    context.reset()
    base = datetime(2026, 10, 20, 7, 0, tzinfo=timezone.utc)  # 09:00 CEST
    w = parse_when("+7d", base=base)
    assert w.at.strftime("%H:%M") == "00:00"
    w = parse_when("2026-10-24 09:00", base=base)
    assert w.at.utcoffset().total_seconds() == 7200
    from crm_cli.core.dates import _shift

    later = _shift(w.at, 7, "days")
    assert later.strftime("%Y-%m-%d %H:%M") == "2026-10-31 09:00" and later.utcoffset().total_seconds() == 3600


@given(st.dates(min_value=date(1900, 1, 1), max_value=date(2999, 12, 31)))
def test_iso_dates_roundtrip(d):
    assert parse_date(d.isoformat(), base=BASE) == d


@pytest.mark.parametrize("text,minor,cur", [
    ("12500", 1250000, "CNY"), ("12,500.50", 1250050, "CNY"), ("¥12500", 1250000, "CNY"),
    ("12.5k", 1250000, "CNY"), ("$1,200", 120000, "USD"), ("USD 99.90", 9990, "USD"),
    ("1.2万", 1200000, "CNY"), ("JPY 1500", 1500, "JPY"), ("€3", 300, "EUR"), ("100元", 10000, "CNY"),
])
def test_money_forms(text, minor, cur):
    assert parse_money(text, default="CNY") == Money(minor, cur)


@pytest.mark.parametrize("text", ["lots", "", "1.2.3", "12.345", "-5", "¥"])
def test_bad_money(text):
    with pytest.raises(ValidationError):
        parse_money(text, default="CNY")


def test_money_display():
    assert Money(1250050, "CNY").display() == "¥12,500.50"
    assert Money(1500, "JPY").plain() == "1500"
    assert Money(1250050, "CHF").display() == "12,500.50 CHF"


@given(st.integers(min_value=0, max_value=10**15))
def test_money_plain_roundtrip(minor):
    m = Money(minor, "CNY")
    assert parse_money(m.plain(), default="CNY") == m
    assert parse_money(m.display(), default="CNY") == m


def test_far_years_are_refused(cli):
    r = cli("activity", "add", "X", "--due", "9999-12-31")
    assert r.exit_code == 2 and r.stderr == ("crm: error: --due: 9999-12-31 is out of range "
                                             "(use a year from 1900 to 2999)\n")
    assert cli.json("activity", "list", "--owner", "all") == []
