"""An ID number kept outside the registrar's scope is no oracle: the centre checks it instead."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from pingan.geo.models import Grid
from pingan.notify.models import Notification
from pingan.people import idnumber
from pingan.people.importers import header_labels, import_residents
from pingan.people.models import DuplicateSubmission, HouseholdMember, Resident
from pingan.people.tests.test_import import workbook, write
from pingan.people.tests.test_pages import household_post

pytestmark = pytest.mark.django_db

GRID01 = "513999001001001"
GRID02 = "513999002201001"
KEPT_ID = idnumber.generate("513999", dt.date(1961, 4, 5), 321)
NEW_ID = idnumber.generate("513999", dt.date(1990, 6, 7), 77)
SUBMITTED_ZH = "已提交，综治中心将核实该身份证号"


def keep(grid_code=GRID02, number=KEPT_ID, name="陈秀英"):
    grid = Grid.objects.get(code=grid_code)
    resident = Resident(name=name, grid=grid, region=grid.region, registered_address="示范县")
    resident.set_id_number(number)
    resident.save()
    return resident


def register_by_api(api, number=KEPT_ID, name="陈秀英"):
    return api.post(
        "/api/v1/residents/",
        {"name": name, "id_number": number, "registered_address": "示范县城关镇"},
        format="json",
    )


# --- the API ----------------------------------------------------------------------------------


def test_a_number_kept_outside_scope_is_answered_without_saying_where(api_as):
    kept = keep(GRID02)
    response = register_by_api(api_as("grid01"))
    assert response.status_code == 202
    body = response.json()
    assert body == {"detail": SUBMITTED_ZH, "status": "submitted_for_check"}
    text = response.content.decode()
    assert kept.grid.name not in text and str(kept.pk) not in text.replace("202", "")
    # Nothing the registrar entered is lost, and the kept record is unchanged.
    submission = DuplicateSubmission.objects.get()
    assert submission.existing == kept and submission.name == "陈秀英"
    assert submission.grid.code == GRID01
    assert submission.submitted_by.username == "grid01"
    assert submission.source == DuplicateSubmission.Source.API
    assert Resident.objects.filter(id_number_hash=kept.id_number_hash).count() == 1
    kept.refresh_from_db()
    assert kept.grid.code == GRID02


def test_a_number_kept_in_scope_names_the_record(api_as):
    kept = keep(GRID01)
    response = register_by_api(api_as("grid01"))
    assert response.status_code == 400
    message = response.json()["id_number"][0]
    assert kept.name in message and f"/people/{kept.pk}/" in message
    assert not DuplicateSubmission.objects.exists()


def test_changing_a_residents_number_to_one_kept_elsewhere_is_sent_for_checking(api_as):
    keep(GRID02)
    api = api_as("grid01")
    mine = register_by_api(api, number=NEW_ID, name="李四").json()
    response = api.patch(f"/api/v1/residents/{mine['id']}/", {"id_number": KEPT_ID}, format="json")
    assert response.status_code == 202
    assert Resident.objects.get(pk=mine["id"]).reveal_id_number() == NEW_ID
    assert DuplicateSubmission.objects.count() == 1


def test_the_centre_is_told_and_the_grid_worker_is_not_shown_the_submission(api_as, client_as):
    keep(GRID02)
    register_by_api(api_as("grid01"))
    assert Notification.objects.filter(
        recipient__username="center", template="duplicate_submitted"
    ).exists()
    assert not Notification.objects.filter(recipient__username="grid02").exists()
    page = client_as("grid01").get(reverse("people:duplicate_list"))
    assert 'id="duplicate-empty"' in page.content.decode()


# --- the household pages --------------------------------------------------------------------


def test_the_household_form_keeps_a_member_whose_number_is_kept_elsewhere(client_as):
    kept = keep(GRID02)
    rows = [
        ("王大山", NEW_ID, "", "head"),
        ("陈秀英", KEPT_ID, "", "spouse"),
    ]
    client = client_as("grid01")
    response = client.post(reverse("people:household_new"), household_post(rows), follow=True)
    assert response.status_code == 200
    html = response.content.decode()
    assert SUBMITTED_ZH in html
    assert kept.grid.name not in html
    submission = DuplicateSubmission.objects.get()
    assert submission.household is not None and submission.relation == "spouse"
    assert list(
        HouseholdMember.objects.filter(household=submission.household).values_list(
            "resident__name", flat=True
        )
    ) == ["王大山"]


def test_the_household_form_names_a_member_kept_in_scope(client_as):
    kept = keep(GRID01)
    rows = [("陈秀英", KEPT_ID, "", "head")]
    response = client_as("grid01").post(reverse("people:household_new"), household_post(rows))
    assert response.status_code == 400
    assert f"/people/{kept.pk}/" in response.content.decode()
    assert not DuplicateSubmission.objects.exists()


# --- the import -----------------------------------------------------------------------------


def test_an_import_row_kept_elsewhere_is_sent_for_checking_without_saying_where(tmp_path, user):
    keep(GRID02)
    rows = [["陈秀英", KEPT_ID, "", "示范县城关镇", GRID01, "户籍", "在住", "", ""]]
    path = write(tmp_path, workbook(rows, header_labels()))
    result = import_residents(path, user=user("grid01"))
    again = import_residents(path, user=user("grid01"))
    assert result.created == 0
    assert result.rejected[0].reason == SUBMITTED_ZH
    assert "outside" not in result.rejected[0].reason
    assert again.rejected[0].reason == SUBMITTED_ZH
    assert DuplicateSubmission.objects.count() == 1  # importing twice is one submission


# --- the centre resolves ----------------------------------------------------------------------


def test_the_centre_moves_the_kept_record_into_the_registering_household(client_as, api_as):
    kept = keep(GRID02)
    rows = [("王大山", NEW_ID, "", "head"), ("陈秀英", KEPT_ID, "", "spouse")]
    client_as("grid01").post(reverse("people:household_new"), household_post(rows))
    submission = DuplicateSubmission.objects.get()
    centre = client_as("center")
    page = centre.get(reverse("people:duplicate_list"))
    assert f'id="duplicate-{submission.pk}"' in page.content.decode()
    response = centre.post(
        reverse("people:duplicate_resolve", args=[submission.pk]),
        {"outcome": "moved", "note": "已搬到城关镇"},
    )
    assert response.status_code == 302
    kept.refresh_from_db()
    assert kept.grid.code == GRID01
    assert HouseholdMember.objects.filter(
        household=submission.household, resident=kept, relation="spouse"
    ).exists()
    submission.refresh_from_db()
    assert submission.status == DuplicateSubmission.Status.MOVED
    assert Notification.objects.filter(
        recipient__username="grid01", template="duplicate_resolved"
    ).exists()
    assert api_as("grid01").get(f"/api/v1/residents/{kept.pk}/").status_code == 200


def test_the_centre_dismisses_and_the_kept_record_stays(client_as, api_as):
    kept = keep(GRID02)
    register_by_api(api_as("grid01"))
    submission = DuplicateSubmission.objects.get()
    client_as("center").post(
        reverse("people:duplicate_resolve", args=[submission.pk]), {"outcome": "dismissed"}
    )
    kept.refresh_from_db()
    assert kept.grid.code == GRID02
    submission.refresh_from_db()
    assert submission.status == DuplicateSubmission.Status.DISMISSED


def test_grid_workers_cannot_resolve_submissions(client_as, api_as):
    keep(GRID02)
    register_by_api(api_as("grid01"))
    submission = DuplicateSubmission.objects.get()
    for username in ("grid01", "grid02"):
        response = client_as(username).post(
            reverse("people:duplicate_resolve", args=[submission.pk]), {"outcome": "moved"}
        )
        assert response.status_code == 404
    submission.refresh_from_db()
    assert submission.status == DuplicateSubmission.Status.OPEN


def test_a_bad_outcome_changes_nothing(client_as, api_as):
    keep(GRID02)
    register_by_api(api_as("grid01"))
    submission = DuplicateSubmission.objects.get()
    client_as("center").post(
        reverse("people:duplicate_resolve", args=[submission.pk]), {"outcome": "bogus"}
    )
    submission.refresh_from_db()
    assert submission.status == DuplicateSubmission.Status.OPEN
