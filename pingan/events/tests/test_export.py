"""The event ledger (台账) export: a background job that writes exactly the filtered rows the
user may see, with phones masked."""

from __future__ import annotations

import io
import os
import re
import uuid
from urllib.parse import unquote

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from pingan.core.models import Job
from pingan.events import services
from pingan.events.tests.conftest import GRID02, VILLAGE01, WALL, event_in, get_user, report

pytestmark = pytest.mark.django_db

ZH = {"Accept-Language": "zh-hans"}


def export(
    client, django_capture_on_commit_callbacks, language="zh-hans", **filters
) -> tuple[Job, list[tuple]]:
    """Start the export through the page, run it, return the job and the sheet's rows."""
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("events:export"), filters, headers={"Accept-Language": language}
        )
    job = Job.objects.filter(kind="events.export").latest("pk")
    assert response["Location"] == job.get_absolute_url()
    job.refresh_from_db()
    assert job.status == Job.Status.SUCCEEDED, job.error
    download = client.get(reverse("core:job_result", args=[job.pk]))
    assert download.status_code == 200
    content = b"".join(download.streaming_content)
    rows = list(
        load_workbook(io.BytesIO(content), read_only=True).active.iter_rows(values_only=True)
    )
    return job, rows


def hotline_call(phone: str = "13812345678"):
    event, _created = services.report_event(
        acting_user=get_user("center"),
        description="楼道堆放杂物，存在火灾隐患",
        channel="hotline",
        village=VILLAGE01,
        reporter_name="王大爷",
        reporter_phone=phone,
        client_key=uuid.uuid4().hex,
    )
    return event


def test_a_grid_worker_exports_only_the_events_of_their_grid(
    client_as, django_capture_on_commit_callbacks
):
    grid01_event = report("grid01")
    grid02_event = report("grid02", where=GRID02)
    _job, rows = export(client_as("grid02"), django_capture_on_commit_callbacks, tab="all")
    exported = {row[0] for row in rows[1:]}
    assert grid02_event.number in exported
    assert grid01_event.number not in exported


def test_the_export_has_exactly_the_filtered_rows_with_phones_masked(
    client_as, django_capture_on_commit_callbacks
):
    wall = event_in("dispatched")
    closed = event_in("closed")
    road = report("grid01", description="人民路路面坑槽", category="0101")
    call = hotline_call()
    client = client_as("center")

    _job, rows = export(client, django_capture_on_commit_callbacks, tab="open", category=WALL)
    exported = {row[0] for row in rows[1:]}
    assert wall.number in exported
    assert closed.number not in exported  # not open
    assert road.number not in exported  # another category
    assert call.number not in exported

    job, rows = export(client, django_capture_on_commit_callbacks, tab="all", channel="hotline")
    assert [row[0] for row in rows[1:]] == [call.number]
    assert job.result_summary == {"rows": 1}
    assert "138****5678" in rows[1]
    assert not any("13812345678" in str(cell) for row in rows for cell in row)


def test_the_ledger_has_the_times_and_the_outcome_of_each_event(
    client_as, django_capture_on_commit_callbacks
):
    closed = event_in("closed")
    _job, rows = export(
        client_as("center"),
        django_capture_on_commit_callbacks,
        language="en",
        tab="all",
        q=closed.number,
    )
    header, row = rows[0], rows[1]
    values = dict(zip(header, row, strict=True))
    assert values["Number"] == closed.number
    assert values["Department"] == closed.department.name
    assert values["Reported"] is not None and values["Closed"] is not None
    assert values["Signed for on time"] in ("Yes", "No")


def test_the_ledger_downloads_under_a_chinese_name_with_an_ascii_fallback(
    client_as, django_capture_on_commit_callbacks
):
    event_in("dispatched")
    client = client_as("center")
    job, _rows = export(client, django_capture_on_commit_callbacks, tab="open")
    header = client.get(reverse("core:job_result", args=[job.pk]))["Content-Disposition"]
    assert re.fullmatch(
        r"attachment; filename=\"events-export-\d{8}-\d{4}\.xlsx\"; "
        r"filename\*=UTF-8''%E4%BA%8B%E4%BB%B6%E5%8F%B0%E8%B4%A6-\d{8}-\d{4}\.xlsx",
        header,
    ), header
    assert unquote(header.rsplit("''", 1)[1]).startswith("事件台账-")


def test_two_ledgers_of_one_minute_keep_their_name(client_as, django_capture_on_commit_callbacks):
    """Each job's file lies in a folder of its own: no storage suffix on the second one."""
    event_in("dispatched")
    client = client_as("center")
    first, _rows = export(client, django_capture_on_commit_callbacks, tab="open")
    second, _rows = export(client, django_capture_on_commit_callbacks, tab="open")
    names = {os.path.basename(j.result_file.name) for j in (first, second)}
    assert len(names) <= 2 and all(re.fullmatch(r"事件台账-\d{8}-\d{4}\.xlsx", n) for n in names)


def test_the_job_reapplies_the_scope_of_its_user(client_as, django_capture_on_commit_callbacks):
    """A department handler's ledger holds only what was dispatched to their department."""
    wall = event_in("dispatched")  # transport
    housing = report("grid01", description="居民楼外墙开裂", category="0501")
    _job, rows = export(client_as("dept-transport"), django_capture_on_commit_callbacks, tab="all")
    exported = {row[0] for row in rows[1:]}
    assert wall.number in exported
    assert housing.department.code == "513999-housing"
    assert housing.number not in exported


def test_a_description_that_looks_like_a_formula_is_exported_as_text(
    client_as, django_capture_on_commit_callbacks
):
    text = '=HYPERLINK("http://evil.example","点我")楼道堆放杂物'
    event = report("grid01", description=text)
    job, _rows = export(
        client_as("center"), django_capture_on_commit_callbacks, tab="all", q=event.number
    )
    sheet = load_workbook(io.BytesIO(job.result_file.read())).active
    [row] = [row for row in sheet.iter_rows(min_row=2) if row[0].value == event.number]
    assert row[2].value == text
    assert row[2].data_type == "s"  # not "f": Excel shows the text and never evaluates it


def test_the_job_page_says_the_ledger_is_done_and_offers_it_once_it_is(
    client_as, django_capture_on_commit_callbacks
):
    """No "正在生成台账" left on the page after the job finished: the state is part of the
    self-refreshing progress part, not a flash message above it."""
    event_in("dispatched")
    client = client_as("center")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("events:export"), {"tab": "open"}, headers=ZH)

    page = client.get(response["Location"], headers=ZH).content.decode()
    assert "正在生成台账" not in page and "正在处理" not in page
    assert "已完成：文件已生成，可以下载。" in page and 'id="job-result"' in page
    assert "hx-trigger" not in page  # it stops polling


def test_the_job_page_of_a_ledger_still_being_written_says_so_and_keeps_polling(client_as):
    client = client_as("center")
    response = client.post(reverse("events:export"), {"tab": "open"}, headers=ZH, follow=True)

    page = response.content.decode()
    assert "正在处理，完成后结果会显示在本页" in page and 'hx-trigger="every 1s"' in page
    assert 'id="job-result"' not in page


def test_the_job_page_of_a_failed_ledger_gives_the_reason_in_chinese(
    client_as, user, django_capture_on_commit_callbacks
):
    client = client_as("center")
    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post(reverse("events:export"), {"tab": "open"}, headers=ZH)
    accounts = type(user("center")).objects.filter(username="center")
    accounts.update(is_active=False)  # the account goes before the worker runs the job
    for callback in callbacks:
        callback()
    accounts.update(is_active=True)
    job = Job.objects.get(kind="events.export")

    page = client.get(response["Location"], headers=ZH).content.decode()
    assert job.status == Job.Status.FAILED
    assert "任务未能完成，原因见下方。" in page and "正在处理" not in page
    assert job.error in page and re.search(r"[\u4e00-\u9fff]", job.error), job.error
