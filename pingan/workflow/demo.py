"""Demo data for reminders: one reminder for ``center`` that falls due soon after loading.

``load_demo()`` is workflow's demo loader (``pingan.core.demo``), run after the demo accounts.
"""

from __future__ import annotations

import datetime as dt
from typing import TextIO

from django.utils import timezone

from pingan.core.demo import demo_loader
from pingan.geo.demo import set_centre_staff_permissions
from pingan.workflow.models import Reminder

DEMO_TITLE = "演示：到期提醒（装载演示数据后约 2 分钟到期）"
DEMO_NOTE = (
    "演示数据。到期前会收到预警消息，到期后会收到超期消息，"
    "所在网格或部门配置的群机器人也会收到超期通知。需要后台任务进程（pingan worker）在运行。"
)
DUE_IN = dt.timedelta(minutes=2)


# The county centre's staff read the accountability records (追责) in the admin.
CENTRE_STAFF_PERMISSIONS = ["workflow.view_accountabilityrecord"]


@demo_loader(order=30)
def load_demo(stdout: TextIO | None = None) -> None:
    """Give ``center`` a reminder due in two minutes, to show deadlines at work."""
    set_centre_staff_permissions(CENTRE_STAFF_PERMISSIONS)
    load_demo_reminders()


def load_demo_reminders() -> Reminder | None:
    """Ensure ``center`` has an open demo reminder still ahead; return it (None without center)."""
    from pingan.accounts.models import User
    from pingan.workflow.services import create_reminder

    center = User.objects.filter(username="center").first()
    if center is None:
        return None
    now = timezone.now()
    pending = Reminder.objects.filter(
        owner=center, is_demo=True, status=Reminder.Status.OPEN, due_at__gt=now
    ).first()
    if pending is not None:
        return pending
    return create_reminder(
        owner=center, title=DEMO_TITLE, note=DEMO_NOTE, due_at=now + DUE_IN, is_demo=True
    )
