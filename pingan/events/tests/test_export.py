"""The event ledger (台账) export: a background job that writes exactly the filtered rows the
user may see, with phones masked."""

from __future__ import annotations

import io
import uuid

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from pingan.core.models import Job
from pingan.events import services
from pingan.events.tests.conftest import GRID02, VILLAGE01, WALL, event_in, get_user, report

pytestmark = pytest.mark.django_db


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


def test_the_ledger_file_is_named_after_the_date(client_as, django_capture_on_commit_callbacks):
    event_in("dispatched")
    job, _rows = export(client_as("center"), django_capture_on_commit_callbacks, tab="open")
    assert job.result_file.name.endswith(".xlsx")


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


HOSTILE = ["=1+1", "+1", "-1", "@SUM(A1)"]


@pytest.mark.parametrize("start", HOSTILE)
def test_a_description_with_control_characters_and_a_formula_start_exports_as_text(
    client_as, django_capture_on_commit_callbacks, start
):
    # \x01 and \x0b cannot be held by an .xlsx: before, one such event failed every ledger.
    event = report("grid01", description=f"{start}\x01\x0b楼道堆放杂物")
    job, _rows = export(
        client_as("center"), django_capture_on_commit_callbacks, tab="all", q=event.number
    )
    sheet = load_workbook(io.BytesIO(job.result_file.read())).active
    [row] = [row for row in sheet.iter_rows(min_row=2) if row[0].value == event.number]
    assert row[2].value == f"{start}楼道堆放杂物"
    assert row[2].data_type == "s"
