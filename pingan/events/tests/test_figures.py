"""Event figures: each rate counted exactly on a handful of events moved through the services."""

from __future__ import annotations

import datetime as dt
from contextlib import contextmanager
from unittest import mock
from zoneinfo import ZoneInfo

import pytest

from pingan.events.figures import event_figures, percentile
from pingan.events.tests.conftest import HOUSING, move, png_upload, report
from pingan.workflow import deadlines

pytestmark = pytest.mark.django_db

# Monday 2 March 2026, 09:00 in the county. Category 0201 (the default of ``report``): signed
# for within 0.5 natural hours, resolved within 12, dispatched to the transport bureau at once.
SHANGHAI = ZoneInfo("Asia/Shanghai")
T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=SHANGHAI)
START, END = dt.date(2026, 3, 2), dt.date(2026, 3, 4)
NOTE = "已清理危石并设置警示"


def h(hours: float) -> dt.datetime:
    return T0 + dt.timedelta(hours=hours)


@contextmanager
def clock(moment: dt.datetime):
    with mock.patch("django.utils.timezone.now", return_value=moment):
        yield


def at(moment, event, action, username, **fields):
    with clock(moment):
        if action == "resolve":
            fields.setdefault("note", NOTE)
            fields.setdefault("photos", [png_upload()])
        return move(event, action, username, **fields)


def reported(moment, **fields):
    with clock(moment):
        return report("grid01", **fields)


@pytest.fixture
def events():
    """Nine events of grid01's grid, one in February; see each for what it counts towards."""
    e = {}
    # 1: on time all along, satisfied.
    e[1] = reported(h(0))
    at(h(10 / 60), e[1], "sign", "dept-transport")
    at(h(1), e[1], "start", "dept-transport")
    at(h(5), e[1], "resolve", "dept-transport")
    at(h(6), e[1], "verify", "grid01")
    at(h(7), e[1], "rate", "grid01", rating="satisfied")
    # 2: escalated, signed late, resolved late (due h(13)), basically satisfied.
    e[2] = reported(h(1))
    at(h(1.5), e[2], "escalate", "center", note="请求协调")
    at(h(2), e[2], "sign", "dept-transport")
    at(h(16), e[2], "resolve", "dept-transport")
    at(h(18), e[2], "verify", "grid01")
    at(h(19), e[2], "rate", "grid01", rating="basic")
    # 3: returned by the transport bureau, re-dispatched to housing, reworked once, dissatisfied.
    e[3] = reported(h(2))
    at(h(2 + 10 / 60), e[3], "return", "dept-transport", note="不属于本单位职责")
    at(h(2 + 20 / 60), e[3], "dispatch", "center", department=HOUSING)
    at(h(2.5), e[3], "sign", "dept-housing")
    at(h(4), e[3], "resolve", "dept-housing")
    at(h(5), e[3], "rework", "grid01", note="没有彻底解决")
    at(h(6), e[3], "resolve", "dept-housing")
    at(h(7), e[3], "verify", "grid01")
    at(h(8), e[3], "rate", "grid01", rating="dissatisfied")
    # 4: put on hold for a day: out of the on-time resolution figures.
    e[4] = reported(h(3))
    at(h(3 + 5 / 60), e[4], "sign", "dept-transport")
    at(h(3.5), e[4], "request_hold", "dept-transport", note="等待天晴")
    at(h(4), e[4], "approve_hold", "center")
    at(h(30), e[4], "resume", "dept-transport")
    at(h(31), e[4], "resolve", "dept-transport")
    at(h(32), e[4], "verify", "grid01")
    # 5: extended to h(40) and resolved by then.
    e[5] = reported(h(4))
    at(h(4 + 10 / 60), e[5], "sign", "dept-transport")
    at(h(5), e[5], "request_extension", "dept-transport", note="需要采购材料", due_at=h(40))
    at(h(5.5), e[5], "approve_extension", "center")
    at(h(30), e[5], "resolve", "dept-transport")
    at(h(31), e[5], "verify", "grid01")
    # 6: never signed for: overdue, urged once. 7: its duplicate, merged into it.
    e[6] = reported(h(5))
    at(h(6), e[6], "urge", "leader", note="请尽快处置")
    e[7] = reported(h(5.5))
    at(h(6), e[7], "merge", "center", into=e[6].pk)
    # 8: an unclassified report found invalid before anyone dispatched it.
    e[8] = reported(h(7), category=None, description="这里有点情况，请来看看")
    at(h(7.5), e[8], "invalidate", "center", note="无效信息")
    with clock(h(40)):
        deadlines.sweep(now=h(40))
    # 9: in February, outside the period.
    february = dt.datetime(2026, 2, 27, 10, 0, tzinfo=SHANGHAI)
    e[9] = reported(february)
    at(february + dt.timedelta(minutes=5), e[9], "sign", "dept-transport")
    at(february + dt.timedelta(hours=2), e[9], "resolve", "dept-transport")
    at(february + dt.timedelta(hours=3), e[9], "verify", "grid01")
    for event in e.values():
        event.refresh_from_db()
    return e


def figures(**kwargs):
    with clock(h(48)):
        return event_figures(**kwargs)


def test_each_count_and_rate_of_a_period_is_exact(events):
    f = figures(start=START, end=END)
    assert f["reported"] == 8
    assert {k: v for k, v in f["by_status"].items() if v} == {
        "dispatched": 1,
        "closed": 5,
        "merged": 1,
        "invalid": 1,
    }
    assert (f["open"], f["overdue"], f["escalated"], f["urges"]) == (1, 1, 1, 1)
    # Sign-for: 1, 3 (housing), 4 and 5 on time; 2 late.
    assert (f["signed"], f["signed_on_time"], f["sign_on_time_rate"]) == (5, 4, 0.8)
    # Due: 1–6 (not the merged, not the invalid); 4 was on hold; 1, 3 and 5 closed on time.
    assert (f["due"], f["on_hold"], f["closed_on_time"]) == (6, 1, 3)
    assert f["resolution_on_time_rate"] == 3 / 5
    # Dispatched: 1–7 (8 never was); 5 extended; 3 returned by its first department.
    assert (f["dispatched"], f["extended"]) == (7, 1)
    assert f["extension_rate"] == 1 / 7
    assert (f["first_dispatched"], f["returned_by_first"]) == (7, 1)
    assert f["correct_dispatch_rate"] == 6 / 7
    assert (f["resolved"], f["reworked"], f["rework_rate"]) == (5, 1, 0.2)
    assert (f["rated"], f["satisfied"], f["basic"], f["dissatisfied"]) == (3, 1, 1, 1)
    assert f["satisfaction_rate"] == 2 / 3


def test_step_times_are_averages_and_90th_percentiles_in_seconds(events):
    steps = figures(start=START, end=END)["steps"]
    # Signed 10, 60, 10 (housing, after the re-dispatch), 5 and 10 minutes after dispatch.
    assert steps["dispatch_to_sign"] == {"count": 5, "avg": 1140.0, "p90": 2400.0}
    # Only 3 waited for a person: 20 minutes, its return included. 1–7 count (8: never).
    assert steps["report_to_dispatch"] == {"count": 7, "avg": 171.4, "p90": 480.0}
    sign_to_resolve = [4 * 3600 + 50 * 60, 14 * 3600, 3.5 * 3600, 27 * 3600 + 55 * 60]
    sign_to_resolve.append(25 * 3600 + 50 * 60)
    assert steps["sign_to_resolve"] == {
        "count": 5,
        "avg": round(sum(sign_to_resolve) / 5, 1),
        "p90": round(percentile(sign_to_resolve, 0.9), 1),
    }
    assert steps["resolve_to_close"] == {"count": 5, "avg": 4320.0, "p90": 5760.0}


def test_the_whole_history_includes_february(events):
    f = figures()
    assert f["reported"] == 9
    assert (f["signed"], f["signed_on_time"]) == (6, 5)
    assert (f["due"], f["closed_on_time"]) == (7, 4)


def test_figures_group_by_month_department_township_and_category(events):
    months = figures(by="month")
    assert [(m["key"], m["reported"]) for m in months] == [("2026-02", 1), ("2026-03", 8)]
    assert months[1]["resolution_on_time_rate"] == 3 / 5
    assert months[0]["label"] == "2026-02"

    departments = {d["key"]: d for d in figures(start=START, end=END, by="department")}
    transport, housing = departments["513999-transport"], departments["513999-housing"]
    assert transport["label"] == "示范县交通运输局"
    assert (transport["reported"], housing["reported"], departments[""]["reported"]) == (6, 1, 1)
    assert (housing["signed"], housing["reworked"], housing["rework_rate"]) == (1, 1, 1.0)
    # Correct dispatch counts against the first department: the transport bureau returned 3.
    assert (transport["first_dispatched"], transport["returned_by_first"]) == (7, 1)
    assert housing["correct_dispatch_rate"] is None

    (township,) = figures(start=START, end=END, by="township")
    assert (township["key"], township["reported"]) == ("513999001", 8)
    categories = {c["key"]: c["reported"] for c in figures(start=START, end=END, by="category")}
    assert categories == {"0201": 7, "": 1}


def test_figures_of_a_region_without_events_have_no_rates(events):
    f = figures(region="513999002", start=START, end=END)
    assert f["reported"] == 0 and f["due"] == 0
    assert f["resolution_on_time_rate"] is None
    assert f["steps"]["dispatch_to_sign"] == {"count": 0, "avg": None, "p90": None}
    assert figures(region="513999002", by="month") == []


def test_figures_count_only_the_events_they_are_given(events):
    from pingan.events.models import Event

    f = figures(events=Event.objects.filter(pk__in=[events[1].pk, events[2].pk]))
    assert (f["reported"], f["signed"], f["signed_on_time"]) == (2, 2, 1)


def test_percentiles_interpolate_like_percentile_cont():
    assert percentile([], 0.9) is None
    assert percentile([5], 0.9) == 5
    assert percentile([300, 600, 600, 600, 3600], 0.9) == pytest.approx(2400)
    assert percentile([1, 2, 3, 4], 0.5) == 2.5


def test_an_unknown_grouping_is_refused():
    with pytest.raises(ValueError, match="group by"):
        event_figures(by="grid")
