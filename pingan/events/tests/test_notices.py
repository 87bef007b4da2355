"""Who hears of an event: the reporter, the grid (its staff and its own group robot), the
department and the centre, with titles that carry the event's number."""

from __future__ import annotations

import pytest
from django.utils import translation

from pingan.events.tests.conftest import GRID01, event_in, report
from pingan.events.transitions import WORKFLOW
from pingan.geo.models import Grid
from pingan.notify.models import Channel, Delivery, Notification

pytestmark = pytest.mark.django_db


def grid_robot(code: str = GRID01) -> Channel:
    """The grid's own group (网格微信群) as a WeCom robot."""
    return Channel.objects.create(
        name="网格群",
        kind=Channel.Kind.WECOM_ROBOT,
        grid=Grid.objects.get(code=code),
        webhook_url="http://127.0.0.1:9/cgi-bin/webhook/send?key=demo",
    )


def heard(channel: Channel) -> list[str]:
    """Return the headlines the channel was sent, in order."""
    return [
        d.payload["title"].split("】")[0].lstrip("【") for d in channel.deliveries.order_by("pk")
    ]


def headline(key: str) -> str:
    with translation.override("zh-hans"):
        return str(WORKFLOW.headline(key))


def test_a_grids_robot_hears_of_reports_dispatches_and_closures_in_its_grid():
    robot = grid_robot()
    event = event_in("closed")

    # Intake tells of the report and its dispatch in one go (in either order); closing comes last.
    *at_intake, last = heard(robot)
    assert sorted(at_intake) == sorted([headline("reported"), headline("dispatched")])
    assert last == headline("closed")
    titles = [d.payload["title"] for d in Delivery.objects.filter(channel=robot)]
    assert all(event.number in title for title in titles)


def test_a_grid_workers_own_report_reaches_the_group_but_not_the_workers_inbox():
    robot = grid_robot()
    event = report("grid01")

    assert sorted(heard(robot)) == sorted([headline("reported"), headline("dispatched")])
    with translation.override("zh-hans"):
        prefix = f"【{WORKFLOW.headline('reported')}】"
    assert not Notification.objects.filter(title__startswith=prefix, recipient__username="grid01")
    assert event.grid.code == GRID01


def test_another_grids_robot_hears_nothing_of_it():
    other = Grid.objects.exclude(code=GRID01).filter(is_active=True).first()
    robot = grid_robot(other.code)
    event_in("closed")
    assert heard(robot) == []


def test_the_reporter_is_told_the_real_number_not_a_placeholder():
    event = report("resident01")
    with translation.override("zh-hans"):
        prefix = f"【{WORKFLOW.headline('received')}】"
    [notice] = Notification.objects.filter(
        recipient__username="resident01", title__startswith=prefix
    )
    assert event.number.startswith("SJ-") and event.number in notice.title
    assert "~" not in notice.title + notice.body
