"""The SLA clock: Chinese working days, working hours, pauses, and the calendar admin."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import chinese_calendar
import pytest
from django.core.exceptions import ValidationError
from django.utils import translation
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pingan.core import sla
from pingan.core.models import CalendarDay, WorkingPeriod
from pingan.core.sla import Calendar, SLAError, Unit

SHANGHAI = ZoneInfo("Asia/Shanghai")
H = dt.timedelta(hours=1)


def at(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=SHANGHAI)


@pytest.fixture
def cal() -> Calendar:
    """The package calendar with the default working hours, no database needed."""
    return Calendar()


# Known calendar facts --------------------------------------------------------------------


def test_2026_spring_festival_holidays_are_off_and_its_make_up_days_are_working(cal):
    spring = {}
    day = dt.date(2026, 1, 1)
    while day.year == 2026:
        on_holiday, name = chinese_calendar.get_holiday_detail(day)
        if name == chinese_calendar.Holiday.spring_festival.value:
            spring[day] = on_holiday
        day += dt.timedelta(days=1)
    holidays = [d for d, off in spring.items() if off]
    make_up = [d for d, off in spring.items() if not off]
    assert len(holidays) >= 7 and make_up, "the package should know the 2026 Spring Festival"
    assert not any(cal.is_working_day(d) for d in holidays)
    assert all(cal.is_working_day(d) for d in make_up)
    assert all(d.weekday() >= 5 for d in make_up), "make-up days fall on weekends"
    assert dt.date(2026, 2, 17) in holidays  # 正月初一


def test_2025_national_day_runs_from_october_1_to_8_with_two_make_up_weekend_days(cal):
    for offset in range(8):
        assert not cal.is_working_day(dt.date(2025, 10, 1) + dt.timedelta(days=offset))
    assert cal.is_working_day(dt.date(2025, 9, 28))  # a Sunday
    assert cal.is_working_day(dt.date(2025, 10, 11))  # a Saturday
    assert cal.is_working_day(dt.date(2025, 10, 9))
    assert not cal.is_working_day(dt.date(2025, 10, 12))  # an ordinary Sunday


def test_a_year_the_package_does_not_know_falls_back_to_monday_to_friday(cal):
    assert cal.is_working_day(dt.date(2031, 3, 7))  # Friday
    assert not cal.is_working_day(dt.date(2031, 3, 8))  # Saturday


@pytest.mark.django_db
def test_a_stored_calendar_day_overrides_the_fallback_for_2027():
    assert sla.is_working_day(dt.date(2027, 2, 8))  # a Monday, unknown to the package
    CalendarDay.objects.create(date=dt.date(2027, 2, 8), kind="holiday", name="Spring Festival")
    CalendarDay.objects.create(date=dt.date(2027, 2, 20), kind="workday", name="Spring Festival")
    assert not sla.is_working_day(dt.date(2027, 2, 8))
    assert sla.is_working_day(dt.date(2027, 2, 20))  # a Saturday
    loaded = Calendar.load()
    assert not loaded.is_working_day(dt.date(2027, 2, 8))
    assert loaded.is_working_day(dt.date(2027, 2, 20))
    # Friday 17:00 + 2 working hours skips the stored holiday on Monday.
    assert sla.add(at(2027, 2, 5, 17), 2, Unit.WORKING_HOURS) == at(2027, 2, 9, 9, 30)


@pytest.mark.django_db
def test_a_stored_calendar_day_also_overrides_the_package_in_a_known_year():
    CalendarDay.objects.create(date=dt.date(2025, 10, 8), kind="workday", note="local decision")
    assert sla.is_working_day(dt.date(2025, 10, 8))
    assert Calendar.load().is_working_day(dt.date(2025, 10, 8))


@pytest.mark.django_db
def test_the_default_working_hours_are_installed_by_the_migration():
    assert [str(p) for p in WorkingPeriod.objects.all()] == ["08:30–12:00", "14:30–18:00"]
    assert Calendar.load().periods == sla.DEFAULT_PERIODS


@pytest.mark.django_db
def test_changed_working_hours_move_deadlines():
    WorkingPeriod.objects.all().delete()
    WorkingPeriod.objects.create(start=dt.time(9), end=dt.time(17))
    calendar = Calendar.load()
    assert sla.add(at(2025, 3, 14, 16), 2, Unit.WORKING_HOURS, calendar=calendar) == at(
        2025, 3, 17, 10
    )
    assert sla.add(at(2025, 3, 14, 10), 1, Unit.WORKING_DAYS, calendar=calendar) == at(
        2025, 3, 17, 17
    )


@pytest.mark.django_db
def test_loading_the_calendar_once_makes_later_deadlines_free_of_queries(
    django_assert_num_queries,
):
    with django_assert_num_queries(2):
        calendar = Calendar.load()
    with django_assert_num_queries(0):
        for day in range(1, 29):
            sla.add(at(2025, 2, day, 10), 15, Unit.WORKING_DAYS, calendar=calendar)
            sla.add(at(2025, 2, day, 10), 30, Unit.WORKING_HOURS, calendar=calendar)


# Working hours ---------------------------------------------------------------------------


def test_one_working_hour_from_friday_1730_ends_at_0900_on_the_next_working_day(cal):
    assert sla.add(at(2025, 3, 14, 17, 30), 1, Unit.WORKING_HOURS, calendar=cal) == at(
        2025, 3, 17, 9
    )
    # Before National Day 2025 the next working day is the make-up Sunday, 28 September.
    assert sla.add(at(2025, 9, 26, 17, 30), 1, Unit.WORKING_HOURS, calendar=cal) == at(
        2025, 9, 28, 9
    )


def test_a_start_inside_the_lunch_break_counts_from_1430(cal):
    assert sla.add(at(2025, 3, 12, 12, 30), 1, Unit.WORKING_HOURS, calendar=cal) == at(
        2025, 3, 12, 15, 30
    )


def test_a_start_on_a_holiday_counts_from_the_first_working_morning_after_it(cal):
    assert sla.add(at(2025, 10, 3, 10), 2, Unit.WORKING_HOURS, calendar=cal) == at(
        2025, 10, 9, 10, 30
    )


def test_a_deadline_may_fall_exactly_at_the_end_of_a_period(cal):
    assert sla.add(at(2025, 3, 12, 11), 1, Unit.WORKING_HOURS, calendar=cal) == at(2025, 3, 12, 12)
    # 3 hours before lunch and 3.5 after it end at 18:00 that day, not 08:30 the next morning.
    assert sla.add(at(2025, 3, 12, 9), 6.5, Unit.WORKING_HOURS, calendar=cal) == at(2025, 3, 12, 18)


def test_hours_may_be_given_as_float_decimal_or_timedelta(cal):
    start = at(2025, 3, 12, 9)
    expected = at(2025, 3, 12, 10, 30)
    assert sla.add(start, 1.5, "working_hours", calendar=cal) == expected
    assert sla.add(start, Decimal("1.5"), "working_hours", calendar=cal) == expected
    assert sla.add(start, dt.timedelta(minutes=90), "working_hours", calendar=cal) == expected


def test_zero_working_hours_outside_working_time_means_the_next_working_instant(cal):
    assert sla.add(at(2025, 3, 12, 12, 30), 0, Unit.WORKING_HOURS, calendar=cal) == at(
        2025, 3, 12, 14, 30
    )
    assert sla.add(at(2025, 3, 12, 10), 0, Unit.WORKING_HOURS, calendar=cal) == at(2025, 3, 12, 10)


def test_deadlines_come_back_aware_in_local_time_from_any_zone(cal):
    start_utc = dt.datetime(2025, 3, 14, 9, 30, tzinfo=dt.UTC)  # 17:30 in Shanghai
    deadline = sla.add(start_utc, 1, Unit.WORKING_HOURS, calendar=cal)
    assert deadline == at(2025, 3, 17, 9)
    assert deadline.utcoffset() == dt.timedelta(hours=8)


# Working days and natural time -----------------------------------------------------------


def test_three_working_days_end_at_1800_of_the_third_working_day_after_the_start_day(cal):
    # The start day never counts, whatever the hour.
    assert sla.add(at(2025, 3, 10, 9), 3, Unit.WORKING_DAYS, calendar=cal) == at(2025, 3, 13, 18)
    assert sla.add(at(2025, 3, 10, 20), 3, Unit.WORKING_DAYS, calendar=cal) == at(2025, 3, 13, 18)
    # From a Saturday: Monday, Tuesday, Wednesday.
    assert sla.add(at(2025, 3, 15, 11), 3, Unit.WORKING_DAYS, calendar=cal) == at(2025, 3, 19, 18)
    # Across National Day 2025: 9, 10 and the make-up Saturday 11 October.
    assert sla.add(at(2025, 9, 30, 10), 3, Unit.WORKING_DAYS, calendar=cal) == at(2025, 10, 11, 18)


def test_working_days_must_be_whole(cal):
    with pytest.raises(SLAError, match="whole days"):
        sla.add(at(2025, 3, 10, 9), 1.5, Unit.WORKING_DAYS, calendar=cal)
    assert sla.add(at(2025, 3, 10, 9), Decimal("2"), "working_days", calendar=cal) == at(
        2025, 3, 12, 18
    )


def test_natural_hours_ignore_holidays_and_nights():
    assert sla.add(at(2025, 10, 1, 10), 48, Unit.NATURAL_HOURS) == at(2025, 10, 3, 10)
    assert sla.add(at(2025, 10, 1, 22), 0.5, "natural_hours") == at(2025, 10, 1, 22, 30)


def test_natural_days_end_at_midnight_of_the_last_day_not_counting_the_start_day():
    assert sla.add(at(2025, 10, 1, 10), 15, Unit.NATURAL_DAYS) == at(2025, 10, 17)


# Pauses ----------------------------------------------------------------------------------


def test_pauses_extend_the_deadline_by_the_working_time_they_overlap(cal):
    start = at(2025, 3, 10, 9)  # Monday
    assert sla.add(start, 4, Unit.WORKING_HOURS, calendar=cal) == at(2025, 3, 10, 15, 30)
    # Waiting for the reporter 10:00–16:00 covers 3.5 working hours (10–12, 14:30–16).
    paused = [(at(2025, 3, 10, 10), at(2025, 3, 10, 16))]
    deadline = sla.add(start, 4, Unit.WORKING_HOURS, calendar=cal, pauses=paused)
    assert deadline == at(2025, 3, 11, 9, 30)
    assert sla.elapsed(start, deadline, "working_hours", calendar=cal) == 7.5 * H
    assert sla.elapsed(start, deadline, "working_hours", calendar=cal, pauses=paused) == 4 * H


def test_pauses_outside_working_time_or_after_the_deadline_change_nothing(cal):
    start = at(2025, 3, 10, 9)
    night = (at(2025, 3, 10, 18), at(2025, 3, 11, 8, 30))
    later = (at(2025, 3, 20, 9), at(2025, 3, 21, 9))
    assert sla.add(start, 10, "working_hours", calendar=cal, pauses=[night, later]) == at(
        2025, 3, 11, 12
    )


def test_pauses_extend_natural_and_working_day_deadlines_too(cal):
    start = at(2025, 3, 10, 9)
    pause = [(at(2025, 3, 11, 8), at(2025, 3, 12, 8))]  # a whole working day, 7 hours
    assert sla.add(start, 1, "working_days", calendar=cal, pauses=pause) == at(2025, 3, 12, 18)
    assert sla.add(start, 24, "natural_hours", calendar=cal, pauses=pause) == at(2025, 3, 12, 9)


def test_overlapping_pauses_are_counted_once(cal):
    start = at(2025, 3, 10, 9)
    pauses = [
        (at(2025, 3, 10, 10), at(2025, 3, 10, 11)),
        (at(2025, 3, 10, 10, 30), at(2025, 3, 10, 11, 30)),
    ]
    # 09:00–10:00 and 11:30–12:00 run, then half an hour after lunch.
    assert sla.add(start, 2, "working_hours", calendar=cal, pauses=pauses) == at(2025, 3, 10, 15)


# Elapsed, remaining, overdue -------------------------------------------------------------


def test_elapsed_working_time_skips_nights_lunch_and_holidays(cal):
    assert sla.elapsed(at(2025, 9, 30, 17), at(2025, 10, 9, 9), "working_hours", calendar=cal) == (
        1.5 * H
    )
    assert sla.elapsed(at(2025, 9, 30, 17), at(2025, 10, 9, 9)) == dt.timedelta(days=8, hours=16)


def test_elapsed_is_negative_when_the_end_comes_first(cal):
    assert sla.elapsed(at(2025, 3, 10, 11), at(2025, 3, 10, 9), "working_hours", calendar=cal) == (
        -2 * H
    )


def test_remaining_and_overdue_count_natural_or_working_time(cal):
    deadline = at(2025, 3, 17, 9)  # Monday morning
    friday = at(2025, 3, 14, 17)
    assert sla.remaining(deadline, friday) == dt.timedelta(days=2, hours=16)
    assert sla.remaining(deadline, friday, unit="working_hours", calendar=cal) == 1.5 * H
    assert sla.overdue(deadline, friday) == dt.timedelta(0)
    tuesday = at(2025, 3, 18, 9)
    assert sla.remaining(deadline, tuesday) == dt.timedelta(0)
    assert sla.overdue(deadline, tuesday) == dt.timedelta(days=1)
    # Monday 09:00–12:00 and 14:30–18:00, Tuesday 08:30–09:00.
    assert sla.overdue(deadline, tuesday, unit="working_hours", calendar=cal) == 7 * H
    assert sla.is_overdue(deadline, tuesday) and not sla.is_overdue(deadline, friday)


# Bad input -------------------------------------------------------------------------------


def test_bad_clock_input_raises_a_clear_error(cal):
    with pytest.raises(SLAError, match="timezone-aware"):
        sla.add(dt.datetime(2025, 3, 10, 9), 1, "working_hours", calendar=cal)  # noqa: DTZ001
    with pytest.raises(SLAError, match="negative"):
        sla.add(at(2025, 3, 10, 9), -1, "working_hours", calendar=cal)
    with pytest.raises(SLAError, match="finite"):
        sla.add(at(2025, 3, 10, 9), float("nan"), "natural_hours")
    with pytest.raises(SLAError, match="ten years"):
        sla.add(at(2025, 3, 10, 9), 10**7, "working_hours", calendar=cal)
    with pytest.raises(SLAError, match="end after it starts"):
        sla.add(
            at(2025, 3, 10, 9),
            1,
            "working_hours",
            calendar=cal,
            pauses=[(at(2025, 3, 10, 10), at(2025, 3, 10, 9))],
        )
    with pytest.raises(ValueError):
        sla.add(at(2025, 3, 10, 9), 1, "fortnights", calendar=cal)


@pytest.mark.django_db
def test_a_range_of_days_is_entered_at_once_and_can_be_entered_again():
    days = CalendarDay.objects.add_range(
        dt.date(2027, 2, 6), dt.date(2027, 2, 13), kind="holiday", name="Spring Festival"
    )
    assert len(days) == 8
    again = CalendarDay.objects.add_range(
        dt.date(2027, 2, 6), dt.date(2027, 2, 13), kind="holiday", name="春节"
    )
    assert len(again) == 8
    assert set(CalendarDay.objects.values_list("name", flat=True)) == {"春节"}


@pytest.mark.django_db
def test_a_range_that_overlaps_days_of_the_other_kind_is_rejected_and_saves_nothing():
    CalendarDay.objects.create(date=dt.date(2027, 2, 7), kind="workday", name="Spring Festival")
    with pytest.raises(ValidationError) as exc:
        CalendarDay.objects.add_range(
            dt.date(2027, 2, 6), dt.date(2027, 2, 13), kind="holiday", name="春节"
        )
    assert "2027-02-07" in str(exc.value.message_dict["start"])
    assert CalendarDay.objects.count() == 1


@pytest.mark.django_db
@translation.override("en")  # the messages are checked in the source language
def test_a_range_that_ends_before_it_starts_or_is_too_long_is_rejected():
    with pytest.raises(ValidationError) as exc:
        CalendarDay.objects.add_range(dt.date(2027, 2, 13), dt.date(2027, 2, 6), kind="holiday")
    assert "before it starts" in str(exc.value.message_dict["end"])
    with pytest.raises(ValidationError) as exc:
        CalendarDay.objects.add_range(dt.date(2027, 1, 1), dt.date(2027, 12, 31), kind="holiday")
    assert "at most" in str(exc.value.message_dict["end"])
    with pytest.raises(ValidationError) as exc:
        CalendarDay.objects.add_range(dt.date(2027, 1, 1), dt.date(2027, 1, 2), kind="party")
    assert "kind" in exc.value.message_dict
    assert not CalendarDay.objects.exists()


@pytest.mark.django_db
def test_a_date_can_be_entered_only_once():
    CalendarDay.objects.create(date=dt.date(2027, 10, 1), kind="holiday")
    duplicate = CalendarDay(date=dt.date(2027, 10, 1), kind="workday")
    with translation.override("en"), pytest.raises(ValidationError, match="only once"):
        duplicate.full_clean()


@pytest.mark.django_db
@translation.override("en")  # the messages are checked in the source language
def test_a_working_period_must_end_after_it_starts_and_not_overlap_another():
    with pytest.raises(ValidationError, match="end after it starts"):
        WorkingPeriod(start=dt.time(18), end=dt.time(14, 30)).full_clean()
    with pytest.raises(ValidationError, match="end after it starts"):
        WorkingPeriod(start=dt.time(9), end=dt.time(9)).full_clean()
    with pytest.raises(ValidationError, match="overlaps the working period 08:30–12:00"):
        WorkingPeriod(start=dt.time(11), end=dt.time(13)).full_clean()
    WorkingPeriod(start=dt.time(12), end=dt.time(13)).full_clean()  # touching is fine


# Admin pages -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_admin_lists_the_calendar_and_the_working_hours(client_as):
    client = client_as("admin")
    CalendarDay.objects.create(date=dt.date(2027, 2, 8), kind="holiday", name="春节")
    page = client.get("/admin/core/calendarday/")
    assert page.status_code == 200
    assert "春节" in page.content.decode()
    assert "add-range/" in page.content.decode()
    assert client.get("/admin/core/workingperiod/").status_code == 200


@pytest.mark.django_db
def test_admin_adds_a_range_of_days_and_explains_a_clash(client_as):
    client = client_as("admin")
    url = "/admin/core/calendarday/add-range/"
    assert client.get(url).status_code == 200
    form = {"start": "2027-02-06", "end": "2027-02-13", "kind": "holiday", "name": "春节"}
    response = client.post(url, form)
    assert response.status_code == 302
    assert CalendarDay.objects.filter(kind="holiday").count() == 8
    clash = {"start": "2027-02-01", "end": "2027-02-07", "kind": "workday", "name": "春节"}
    response = client.post(url, clash)
    assert response.status_code == 200
    assert "2027-02-06" in response.content.decode()
    assert CalendarDay.objects.filter(kind="workday").count() == 0
    backwards = {"start": "2027-02-07", "end": "2027-02-01", "kind": "workday"}
    assert client.post(url, backwards).status_code == 200
    assert client.post(url, {"start": "not a date", "kind": "x"}).status_code == 200


@pytest.mark.django_db
def test_only_staff_reach_the_calendar_admin(client_as):
    response = client_as("grid01").get("/admin/core/calendarday/add-range/")
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


@pytest.mark.django_db
def test_admin_rejects_an_overlapping_working_period(client_as):
    client = client_as("admin")
    response = client.post(
        "/admin/core/workingperiod/add/",
        {"start": "11:00", "end": "13:00"},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 200
    assert "overlaps" in response.content.decode()
    assert WorkingPeriod.objects.count() == 2


# Properties ------------------------------------------------------------------------------

PROPERTY_CALENDAR = Calendar(tz=SHANGHAI)

starts = st.datetimes(
    min_value=dt.datetime(2024, 1, 1),  # noqa: DTZ001 - hypothesis bounds are naive
    max_value=dt.datetime(2026, 12, 31, 23, 59),  # noqa: DTZ001
    timezones=st.just(SHANGHAI),
)
working_hours = st.decimals(min_value=0, max_value=400, places=2)
property_settings = settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)


@property_settings
@given(start=starts, hours=working_hours)
def test_a_working_hours_deadline_always_falls_inside_working_time(start, hours):
    deadline = sla.add(start, hours, Unit.WORKING_HOURS, calendar=PROPERTY_CALENDAR)
    assert deadline >= start
    assert PROPERTY_CALENDAR.is_working_day(deadline.astimezone(SHANGHAI).date())
    assert PROPERTY_CALENDAR.is_working_time(deadline)


@property_settings
@given(start=starts, a=working_hours, b=working_hours)
def test_adding_working_hours_is_monotonic_and_additive(start, a, b):
    first = sla.add(start, a, Unit.WORKING_HOURS, calendar=PROPERTY_CALENDAR)
    second = sla.add(start, b, Unit.WORKING_HOURS, calendar=PROPERTY_CALENDAR)
    if a <= b:
        assert first <= second
    chained = sla.add(first, b, Unit.WORKING_HOURS, calendar=PROPERTY_CALENDAR)
    total = sla.add(start, a + b, Unit.WORKING_HOURS, calendar=PROPERTY_CALENDAR)
    assert abs(chained - total) <= dt.timedelta(seconds=1)


@property_settings
@given(start=starts, hours=working_hours)
def test_elapsed_working_time_returns_the_amount_added(start, hours):
    deadline = sla.add(start, hours, Unit.WORKING_HOURS, calendar=PROPERTY_CALENDAR)
    spent = sla.elapsed(start, deadline, Unit.WORKING_HOURS, calendar=PROPERTY_CALENDAR)
    assert abs(spent - dt.timedelta(hours=float(hours))) <= dt.timedelta(seconds=1)


@property_settings
@given(start=starts, days=st.integers(min_value=1, max_value=60))
def test_a_working_days_deadline_is_the_end_of_working_time_on_a_working_day(start, days):
    deadline = sla.add(start, days, Unit.WORKING_DAYS, calendar=PROPERTY_CALENDAR)
    local = deadline.astimezone(SHANGHAI)
    assert local.date() > start.date()
    assert PROPERTY_CALENDAR.is_working_day(local.date())
    assert local.time() == dt.time(18)
    more = sla.add(start, days + 1, Unit.WORKING_DAYS, calendar=PROPERTY_CALENDAR)
    assert more > deadline


@property_settings
@given(
    start=starts,
    hours=working_hours,
    pause_offset=st.integers(min_value=0, max_value=200 * 60),
    pause_minutes=st.integers(min_value=0, max_value=72 * 60),
)
def test_a_pause_extends_a_deadline_by_exactly_the_working_time_it_covers(
    start, hours, pause_offset, pause_minutes
):
    pause_from = start + dt.timedelta(minutes=pause_offset)
    pause = (pause_from, pause_from + dt.timedelta(minutes=pause_minutes))
    plain = sla.add(start, hours, Unit.WORKING_HOURS, calendar=PROPERTY_CALENDAR)
    paused = sla.add(start, hours, Unit.WORKING_HOURS, calendar=PROPERTY_CALENDAR, pauses=[pause])
    assert paused >= plain
    assert PROPERTY_CALENDAR.is_working_time(paused)
    spent = sla.elapsed(
        start, paused, Unit.WORKING_HOURS, calendar=PROPERTY_CALENDAR, pauses=[pause]
    )
    assert abs(spent - dt.timedelta(hours=float(hours))) <= dt.timedelta(seconds=1)
