from datetime import time

import pytest

from resdir.directory import hours


def test_weekday_range_with_lunch_break():
    spans = hours.parse("Mo-Fr 09:00-12:00,13:00-17:00; Sa 10:00-14:00")
    assert len(spans) == 11
    assert hours.day_lines(spans)[0] == (0, "9 AM - noon, 1 PM - 5 PM")
    assert hours.day_lines(spans)[6] == (6, "Closed")


def test_past_midnight_span_runs_into_next_day():
    (span,) = hours.parse("Su 22:00-02:00")
    assert span.overnight
    # Sunday 22:00 to the end of the week, then Monday 00:00-02:00.
    assert span.minutes() == [(6 * 1440 + 1320, 7 * 1440), (0, 120)]
    assert hours.day_lines([span])[6] == (6, "10 PM - 2 AM (next day)")


def test_always_open():
    spans = hours.parse("24/7")
    assert hours.is_always(spans)
    assert hours.to_text(spans) == "24/7"
    assert hours.day_lines(spans)[3] == (3, "Open 24 hours")


@pytest.mark.parametrize(
    "text",
    ["Mo-Fr 09:00-17:00", "Mo,We,Fr 08:30-12:00; Sa 10:00-14:00", "Fr-Mo 20:00-02:00"],
)
def test_text_round_trip(text):
    assert hours.parse(hours.to_text(hours.parse(text))) == hours.parse(text)


@pytest.mark.parametrize(
    ("text", "complaint"),
    [
        ("Xx 09:00-17:00", "unknown day"),
        ("Mo 9-5", "not a span"),
        ("Mo 25:00-26:00", "not a time"),
        ("Monday", "needs days and times"),
    ],
)
def test_bad_hours_say_what_is_wrong(text, complaint):
    with pytest.raises(hours.HoursError, match=complaint):
        hours.parse(text)


def test_midnight_close_is_end_of_day():
    (span,) = hours.parse("Mo 18:00-24:00")
    assert span.closes == time(0, 0)
    assert span.minutes() == [(1080, 1440)]
