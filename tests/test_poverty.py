from __future__ import annotations

from datetime import date
from fractions import Fraction

import pytest

from resdir.matching import poverty
from resdir.matching.poverty import percent_of_poverty

Y2026 = date(2026, 3, 1)


@pytest.mark.parametrize(
    ("household", "state", "on", "year", "region", "guideline"),
    [
        (1, "PA", date(2026, 1, 13), 2026, "contiguous", 15960),
        (1, "PA", date(2026, 1, 12), 2025, "contiguous", 15650),
        (1, "PA", date(2025, 1, 15), 2025, "contiguous", 15650),
        (4, "PA", Y2026, 2026, "contiguous", 33000),
        (9, "PA", Y2026, 2026, "contiguous", 15960 + 8 * 5680),
        (9, "OH", date(2025, 6, 1), 2025, "contiguous", 15650 + 8 * 5500),
        (1, "DC", Y2026, 2026, "contiguous", 15960),
        (1, "AK", Y2026, 2026, "alaska", 19950),
        (1, "HI", Y2026, 2026, "hawaii", 18360),
        (9, "AK", date(2025, 6, 1), 2025, "alaska", 19550 + 8 * 6880),
        (9, "HI", date(2025, 6, 1), 2025, "hawaii", 17990 + 8 * 6330),
        (1, "ak", Y2026, 2026, "alaska", 19950),
    ],
)
def test_guideline_by_date_household_and_region(household, state, on, year, region, guideline):
    result = percent_of_poverty(guideline, household, state, on)
    assert (result.year, result.region, result.guideline) == (year, region, guideline)
    assert result.percent == 100 and result.exact_percent == 100
    assert result.note is None


@pytest.mark.parametrize(
    ("state", "household", "guideline", "name"),
    [("AK", 3, 19550 + 2 * 6880, "Alaska"), ("HI", 9, 17990 + 8 * 6330, "Hawaii")],
)
def test_alaska_and_hawaii_2026_add_on_falls_back_to_2025_and_says_so(
    state, household, guideline, name
):
    result = percent_of_poverty(guideline * 2, household, state, Y2026)
    assert (result.year, result.guideline, result.percent) == (2025, guideline, 200)
    assert result.note == (f"The 2026 {name} amount per extra person is not verified; "
                           f"used the 2025 {name} guideline.")


@pytest.mark.parametrize(
    ("state", "on", "note"),
    [
        (None, Y2026, "State not given; used the 48 contiguous states and DC guideline."),
        ("PR", Y2026, "HHS publishes no poverty guideline for PR; used the 48 contiguous "
                      "states and DC guideline."),
        ("PA", date(2024, 12, 31), "No guideline was in effect on 2024-12-31; used the 2025 "
                                   "guideline."),
    ],
)
def test_notes_say_what_was_assumed(state, on, note):
    assert percent_of_poverty(20000, 1, state, on).note == note


@pytest.mark.parametrize(
    ("income", "percent", "exact"),
    [
        (15960, 100, Fraction(100)),
        (0, 0, Fraction(0)),
        (23860.2, 150, None),  # 149.5...% reads 150
        (31921, 200, Fraction(31921 * 100, 15960)),  # reads 200 but is above 200
        (33835, 212, None),
    ],
)
def test_percent_is_rounded_for_reading_and_exact_for_comparing(income, percent, exact):
    result = percent_of_poverty(income, 1, "PA", Y2026)
    assert result.percent == percent
    if exact is not None:
        assert result.exact_percent == exact


def test_result_reads_as_json():
    assert percent_of_poverty(33000, 4, "PA", Y2026).as_dict() == {
        "year": 2026, "region": "contiguous", "percent": 100, "household_size": 4,
        "guideline": 33000, "note": None,
    }


@pytest.mark.parametrize(("income", "household"), [(1000, 0), (-1, 1), (float("nan"), 1)])
def test_impossible_input_is_refused(income, household):
    with pytest.raises(ValueError):
        percent_of_poverty(income, household, "PA", Y2026)


def test_table_has_every_region_for_2025_and_2026():
    rows = {(r.year, r.region): r for r in poverty.load_guidelines()}
    assert set(rows) == {(y, r) for y in (2025, 2026) for r in poverty.REGIONS}
    assert rows[2026, "contiguous"].effective == date(2026, 1, 13)
    assert rows[2026, "alaska"].per_extra_person is None


def test_bad_table_line_is_named(tmp_path):
    path = tmp_path / "guidelines.csv"
    path.write_text("year,region,base,per_extra_person,effective\n2026,mars,1,1,2026-01-13\n")
    with pytest.raises(ValueError, match="line 2: unknown region 'mars'"):
        poverty.load_guidelines(path)
