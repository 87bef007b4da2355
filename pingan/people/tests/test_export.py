"""Resident export and import pages: masked numbers only, the user's scope only, logged."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from pingan.core.jobs import run_job, start_job
from pingan.core.models import Job
from pingan.geo.models import Grid
from pingan.people import idnumber
from pingan.people.jobs import EXPORT_RESIDENTS, IMPORT_RESIDENTS
from pingan.people.models import AccessLog, Resident

pytestmark = pytest.mark.django_db

GRID01 = "513999001001001"
GRID02 = "513999002201001"


def make(grid_code: str, seq: int, name: str) -> tuple[Resident, str]:
    grid = Grid.objects.get(code=grid_code)
    number = idnumber.generate("513999", dt.date(1960, 1, 1) + dt.timedelta(days=seq), seq)
    resident = Resident(name=name, grid=grid, region=grid.region, registered_address="示范县")
    resident.set_id_number(number)
    resident.set_phone(f"139{seq:08d}")
    resident.save()
    return resident, number


def run_export(user, filters=None) -> tuple[Job, list[tuple]]:
    job = start_job(
        kind=EXPORT_RESIDENTS,
        title="export",
        user=user,
        func_path=EXPORT_RESIDENTS,
        params={"user_id": user.pk, "filters": filters or {}, "language": "en"},
    )
    run_job(job.pk)
    job.refresh_from_db()
    assert job.status == Job.Status.SUCCEEDED, job.error
    sheet = load_workbook(io.BytesIO(job.result_file.read()), read_only=True).active
    return job, list(sheet.iter_rows(values_only=True))


@pytest.fixture
def people(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    return [make(GRID01, 1, "王一"), make(GRID01, 2, "王二"), make(GRID02, 3, "李三")]


def test_an_export_holds_only_masked_numbers(people, user):
    _job, rows = run_export(user("center"))

    text = " ".join(str(v) for row in rows for v in row)
    assert len(rows) == 4
    for resident, number in people:
        assert number not in text and resident.reveal_phone() not in text
        assert resident.id_number_masked in text and resident.phone_masked in text


def test_a_grid_workers_export_lacks_the_people_of_other_grids(people, user):
    _job, rows = run_export(user("grid02"))

    names = {row[0] for row in rows[1:]}
    assert names == {"李三"}


def test_an_export_follows_its_filter(people, user):
    _job, rows = run_export(user("center"), {"grid": GRID01})

    assert {row[0] for row in rows[1:]} == {"王一", "王二"}


def test_an_export_is_logged_with_its_filter_and_row_count(people, user):
    run_export(user("grid01"), {"q": "王"})

    entry = AccessLog.objects.get(via=AccessLog.Via.EXPORT)
    assert entry.user == user("grid01") and entry.rows == 2 and entry.query == {"q": "王"}


def test_the_export_button_starts_a_job_and_shows_its_page(
    people, client_as, django_capture_on_commit_callbacks
):
    client = client_as("center")

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("people:export_start"), {"status": "living"})

    job = Job.objects.get(kind=EXPORT_RESIDENTS)
    assert response.status_code == 302 and response["Location"] == f"/jobs/{job.pk}/"
    assert job.params["filters"] == {"status": "living"}


def test_the_template_has_chinese_headings_and_a_valid_synthetic_example(client_as):
    response = client_as("grid01").get(reverse("people:import_template"))

    sheet = load_workbook(io.BytesIO(response.content), read_only=True).active
    header, example = list(sheet.iter_rows(values_only=True))[:2]
    assert header[:5] == ("姓名", "身份证号", "联系电话", "户籍地址", "网格编码")
    idnumber.validate(example[1])


def test_the_upload_form_starts_the_import_and_redirects_to_the_job(
    client_as, settings, tmp_path, django_capture_on_commit_callbacks
):
    settings.MEDIA_ROOT = str(tmp_path)
    client = client_as("grid01")
    template = client.get(reverse("people:import_template")).content
    upload = io.BytesIO(template)
    upload.name = "residents.xlsx"

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("people:import_start"), {"file": upload})

    job = Job.objects.get(kind=IMPORT_RESIDENTS)
    assert response.status_code == 302 and response["Location"] == f"/jobs/{job.pk}/"
    job.refresh_from_db()
    assert job.status == Job.Status.SUCCEEDED, job.error
    assert job.result_summary["created"] == 1
    assert Resident.objects.get().collected_by.username == "grid01"


def test_the_upload_form_shows_for_staff_and_not_for_a_department(client_as):
    assert client_as("grid02").get(reverse("people:import_start")).status_code == 200
    assert client_as("dept-transport").get(reverse("people:import_start")).status_code == 404


def test_the_resident_list_offers_import_and_an_export_of_the_same_filter(client_as):
    page = client_as("center").get(reverse("people:resident_list"), {"grid": GRID01}).text

    assert reverse("people:import_start") in page
    assert reverse("people:export_start") in page
    assert f'name="grid" value="{GRID01}"' in page
