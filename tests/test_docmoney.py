"""Document money rules, checked against amounts worked out by hand (never by the code under test)."""

from decimal import Decimal as D

import pytest

from crm_cli.core import docmoney as m
from crm_cli.core.errors import ValidationError


def test_half_up_rounding_away_from_zero():
    assert [m.round_half_up(D(x)) for x in ("2.5", "3.5", "-2.5", "2.4999", "0.5")] == [3, 4, -3, 2, 1]


def test_discounted_tax_excluded_line():
    # 3 x 19.99 = 59.97; less 15% = 50.9745 -> 50.97 (5097 fen); discount 9.00;
    # tax 13% of 50.97 = 6.6261 -> 6.63; total 57.60
    line = m.line_amounts(D(3), 1999, discount=D("0.15"), tax_rate=D("0.13"))
    assert line == m.LineAmounts(list=5997, discount=900, net=5097, tax=663, total=5760)


def test_tax_included_line_net_plus_tax_is_gross():
    # 99.99 incl. 13%: tax = 99.99 x 0.13 / 1.13 = 11.50327... -> 11.50; net = 88.49
    assert m.line_amounts(D(1), 9999, tax_rate=D("0.13"), tax_included=True) == \
        m.LineAmounts(list=8849, discount=0, net=8849, tax=1150, total=9999)
    # less 10%: gross 89.991 -> 89.99; tax = 89.99 x 0.13 / 1.13 = 10.35283 -> 10.35; net 79.64;
    # list net = 88.49 (above), so the discount is 88.49 - 79.64 = 8.85
    assert m.line_amounts(D(1), 9999, discount=D("0.10"), tax_rate=D("0.13"), tax_included=True) == \
        m.LineAmounts(list=8849, discount=885, net=7964, tax=1035, total=8999)


def test_zero_and_three_decimal_currencies():
    # JPY has no minor unit: 3 x 333 = 999; less 10% = 899.1 -> 899; tax 10% = 89.9 -> 90
    assert m.line_amounts(D(3), 333, discount=D("0.1"), tax_rate=D("0.1")) == \
        m.LineAmounts(list=999, discount=100, net=899, tax=90, total=989)
    # KWD has three: 0.5 x 1.235 = 0.6175 -> 0.618 (half up); tax 5% = 0.0309 -> 0.031
    assert m.line_amounts(D("0.5"), 1235, tax_rate=D("0.05")) == \
        m.LineAmounts(list=618, discount=0, net=618, tax=31, total=649)


def test_totals_are_sums_of_rounded_lines():
    lines = [m.line_amounts(D(3), 1999, D("0.15"), D("0.13")),   # 59.97 - 9.00 + 6.63 = 57.60
             m.line_amounts(D(1), 9999, D(0), D("0.13"), True)]   # 88.49 - 0 + 11.50 = 99.99
    t = m.totals(lines)
    assert t == m.Totals(subtotal=5997 + 8849, discount=900, net=5097 + 8849, tax=663 + 1150,
                         total=5760 + 9999)
    assert t.subtotal - t.discount + t.tax == t.total


def test_three_way_split_by_percentages():
    # 6,527.81 by 30/50/20: 1958.343 -> 1958.34; 3263.905 -> 3263.91; the last takes the rest 1305.56
    assert m.split_by_shares(652781, [D("0.3"), D("0.5"), D("0.2")]) == [195834, 326391, 130556]
    with pytest.raises(ValidationError, match="not 100%"):
        m.split_by_shares(100, [D("0.3"), D("0.3")])


def test_equal_and_fixed_splits_add_up():
    assert m.split_equal(10000, 3) == [3333, 3333, 3334]
    assert m.split_fixed(10000, [2500, None]) == [2500, 7500]
    with pytest.raises(ValidationError, match="not the total"):
        m.split_fixed(10000, [2500, 2500])


@pytest.mark.parametrize("text,expected", [("13%", D("0.13")), ("13", D("0.13")), ("12.5%", D("0.125")),
                                           ("０％", D(0)), ("100", D(1))])
def test_percentages(text, expected):
    assert m.parse_percent(text, "--tax") == expected


@pytest.mark.parametrize("text", ["-1", "101", "abc", "1e3", "nan"])
def test_bad_percentages(text):
    with pytest.raises(ValidationError):
        m.parse_percent(text, "--discount")


@pytest.mark.parametrize("text,expected", [("2", D(2)), ("0.5", D("0.5")), ("１０", D(10))])
def test_quantities(text, expected):
    assert m.parse_qty(text) == expected


@pytest.mark.parametrize("text", ["0", "-2", "x", "1e9", "0.0000001"])
def test_bad_quantities(text):
    with pytest.raises(ValidationError):
        m.parse_qty(text)
