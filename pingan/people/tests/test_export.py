"""Resident export and import pages: masked numbers only, the user's scope only, logged."""

from __future__ import annotations

import datetime as dt
import io
import os
import re
from urllib.parse import unquote

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from pingan.core.jobs import run_job, start_job
from pingan.core.models import Job
from pingan.geo.models import Grid
from pingan.people import idnumber
from pingan.people.importers import import_file
from pingan.people.jobs import EXPORT_RESIDENTS, IMPORT_RESIDENTS, export_job_kind
from pingan.people.models import AccessLog, Address, House, HouseholdGroup, Resident
from pingan.people.tests.xlsx_helpers import make_household, make_organization, run_export_job

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


# --- houses, organisations and 联户 groups ---------------------------------------------------


@pytest.fixture
def ledgers(settings, tmp_path):
    """A house, an organisation (with a phone) and a group in grid01's and grid02's grids."""
    settings.MEDIA_ROOT = str(tmp_path)
    made = {}
    for code, seq, street, head_name in (
        (GRID01, 1, "一号路", "王一"),
        (GRID02, 2, "二号路", "李二"),
    ):
        grid = Grid.objects.get(code=code)
        address = Address.objects.create(grid=grid, region=grid.region, street=street, number="5")
        House.objects.create(
            address=address, grid=grid, region=grid.region, use=House.Use.SHOP, is_rented=True
        )
        organization = make_organization(code, seq, f"{street}超市", phone=f"1371234000{seq}")
        head, _number = make(code, 10 + seq, head_name)
        group = HouseholdGroup(name=f"{street}十户联防", grid=grid, region=grid.region, head=head)
        group.vehicles = f"川A1234{seq} 车主"
        group.save()
        group.households.add(make_household(code, f"H{seq}"))
        group.organizations.add(organization)
        made[code] = {"organization": organization, "group": group, "head": head}
    return made


def test_a_house_export_holds_the_users_houses_in_the_import_columns(ledgers, user):
    _job, rows = run_export_job("houses", user("grid02"))

    assert rows[0][:3] == ("网格编码", "街路巷", "门牌号")
    assert [r[:3] for r in rows[1:]] == [(GRID02, "二号路", "5")]
    assert rows[1][6] == "商铺" and rows[1][9] == "是"


def test_a_house_export_follows_the_list_filter(ledgers, user):
    _job, everything = run_export_job("houses", user("center"))
    _job, by_grid = run_export_job("houses", user("center"), {"grid": GRID01})
    _job, by_use = run_export_job("houses", user("center"), {"use": "home"})
    _job, by_address = run_export_job("houses", user("center"), {"q": "二号"})

    assert len(everything) == 3
    assert [r[1] for r in by_grid[1:]] == ["一号路"]
    assert by_use[1:] == []
    assert [r[1] for r in by_address[1:]] == ["二号路"]


def test_an_organisation_export_is_scoped_and_holds_only_masked_phones(ledgers, user):
    _job, rows = run_export_job("organizations", user("grid01"))

    text = " ".join(str(v) for row in rows for v in row)
    assert [r[0] for r in rows[1:]] == ["一号路超市"]
    organization = ledgers[GRID01]["organization"]
    assert organization.contact_phone_masked in text
    assert "13712340001" not in text and "二号路超市" not in text


def test_a_group_export_lists_each_member_with_the_head_masked(ledgers, user):
    _job, rows = run_export_job("groups", user("grid01"))

    head = ledgers[GRID01]["head"]
    assert {r[0] for r in rows[1:]} == {"一号路十户联防"}
    assert [r[4:7] for r in rows[1:]] == [
        ("H1", None, None),
        (None, ledgers[GRID01]["organization"].credit_code, None),
        (None, None, "川A12341 车主"),
    ]
    text = " ".join(str(v) for row in rows for v in row)
    assert head.id_number_masked in text and head.reveal_id_number() not in text
    assert "二号路" not in text


def test_an_exported_ledger_imports_again_without_changes(ledgers, user):
    for kind in ("houses", "organizations", "groups"):
        job, _rows = run_export_job(kind, user("center"))
        result = import_file(kind, job.result_file.path, user=user("center"))

        assert result.rejected == [], kind
        assert result.created == result.updated == 0, kind


def test_the_group_list_button_posts_its_own_kind_filter_beside_the_export_kind(
    ledgers, client_as, django_capture_on_commit_callbacks
):
    client = client_as("center")
    data = {"kind": ["groups", "households"], "grid": GRID01, "q": "一号"}

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("people:export_start"), data)

    job = Job.objects.get(kind=export_job_kind("groups"))
    assert response.status_code == 302 and response["Location"] == f"/jobs/{job.pk}/"
    assert job.params["kind"] == "groups"
    assert job.params["filters"] == {"kind": "households", "grid": GRID01, "q": "一号"}
    job.refresh_from_db()
    assert job.status == Job.Status.SUCCEEDED, job.error
    entry = AccessLog.objects.get(via=AccessLog.Via.EXPORT)
    assert entry.rows == 3 and entry.query["export"] == "groups"


def test_the_house_and_organisation_lists_offer_import_and_export_of_their_filter(client_as):
    client = client_as("center")

    houses = client.get(reverse("people:house_list"), {"grid": GRID01, "use": "shop"}).text
    organizations = client.get(reverse("people:organization_list"), {"kind": "school"}).text

    assert f"{reverse('people:import_start')}?kind=houses" in houses
    assert 'name="kind" value="houses"' in houses and 'name="use" value="shop"' in houses
    assert f'name="grid" value="{GRID01}"' in houses
    assert f"{reverse('people:import_start')}?kind=organizations" in organizations
    assert 'name="kind" value="organizations"' in organizations
    assert 'name="kind" value="school"' in organizations


def test_the_organisation_list_export_button_starts_an_organisation_export(
    ledgers, client_as, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        client_as("grid02").post(
            reverse("people:export_start"), {"kind": ["organizations", ""], "grid": ""}
        )

    job = Job.objects.get(kind=export_job_kind("organizations"))
    job.refresh_from_db()
    assert job.status == Job.Status.SUCCEEDED and job.result_summary == {"rows": 1}


def test_the_template_downloads_under_a_chinese_name(client_as):
    header = client_as("grid01").get(reverse("people:import_template"))["Content-Disposition"]
    assert header.startswith('attachment; filename="residents-template.xlsx"; filename*=')
    assert unquote(header).endswith("UTF-8''实有人口导入模板.xlsx")


def test_an_export_file_is_named_in_chinese_after_its_kind_and_minute(people, user):
    job = start_job(
        kind=EXPORT_RESIDENTS,
        title="export",
        user=user("center"),
        func_path=EXPORT_RESIDENTS,
        params={"user_id": user("center").pk, "filters": {}, "language": "zh-hans"},
    )
    run_job(job.pk)
    job.refresh_from_db()
    assert re.fullmatch(r"实有人口-\d{8}-\d{4}\.xlsx", os.path.basename(job.result_file.name))
