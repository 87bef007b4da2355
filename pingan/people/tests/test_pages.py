"""Basic-data pages: masked lists and details, reveal, verify, scope, the new-household form."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.models import Permission
from django.utils import translation

from pingan.geo.models import Grid
from pingan.people import idnumber
from pingan.people.models import AccessLog, Household, Resident, RevealLog

pytestmark = pytest.mark.django_db

GRID01 = "513999001001001"
GRID02 = "513999002201001"
ID_NUMBER = idnumber.generate("513999", dt.date(1956, 3, 14), 123)
PHONE = "13912345678"
FAMILY = [
    ("王大山", idnumber.generate("513999", dt.date(1970, 5, 1), 11), "13800001111", "head"),
    ("李小芳", idnumber.generate("513999", dt.date(1972, 8, 9), 22), "13800002222", "spouse"),
    ("王小明", idnumber.generate("513999", dt.date(2005, 2, 3), 33), "", "child"),
]


def make_resident(grid_code=GRID01, number=ID_NUMBER, name="王秀兰"):
    grid = Grid.objects.get(code=grid_code)
    resident = Resident(name=name, grid=grid, region=grid.region, registered_address="示范县")
    resident.set_id_number(number)
    resident.set_phone(PHONE)
    resident.save()
    return resident


def household_post(rows, grid_code=GRID01):
    data = {
        "household-grid": Grid.objects.get(code=grid_code).pk,
        "household-number": "H-0001",
        "household-registered_address": "示范县城关镇南门路12号",
        "member-TOTAL_FORMS": str(len(rows)),
        "member-INITIAL_FORMS": "0",
        "member-MIN_NUM_FORMS": "0",
        "member-MAX_NUM_FORMS": "8",
    }
    for i, (name, number, phone, relation) in enumerate(rows):
        data |= {
            f"member-{i}-name": name,
            f"member-{i}-id_number": number,
            f"member-{i}-phone": phone,
            f"member-{i}-relation": relation,
        }
    return data


def test_the_resident_list_shows_masked_numbers_only(client_as):
    resident = make_resident()

    page = client_as("grid01").get("/people/")

    html = page.content.decode()
    assert page.status_code == 200 and "王秀兰" in html
    assert resident.id_number_masked in html
    assert ID_NUMBER not in html and PHONE not in html


def test_a_phone_gets_each_resident_as_a_card_with_the_masked_numbers(client_as):
    resident = make_resident()
    moved = make_resident(number=idnumber.generate("513999", dt.date(1957, 1, 1), 5), name="迁走")
    Resident.objects.filter(pk=moved.pk).update(status=Resident.Status.MOVED_OUT)

    html = client_as("grid01").get("/people/", {"q": "王秀兰"}).content.decode()
    cards = html.split('id="resident-cards"')[1].split('id="resident-table"')[0]

    assert f'href="/people/{resident.pk}/"' in cards
    assert resident.id_number_masked in cards and "139****5678" in cards
    assert "户籍人口" in cards and "从未" in cards
    assert ID_NUMBER not in html and PHONE not in html
    moved_html = client_as("grid01").get("/people/", {"q": "迁走"}).content.decode()
    assert "已迁出" in moved_html.split('id="resident-cards"')[1].split("</a>")[0]


def test_the_list_filters_offer_all_not_dashes(client_as):
    html = client_as("grid01").get("/people/").content.decode()

    for select in ("f-type", "f-status"):
        options = html.split(f'id="{select}"')[1].split("</select>")[0]
        assert '<option value="">全部</option>' in options and "-----" not in options


def test_the_resident_list_says_so_when_nothing_matches(client_as):
    make_resident()

    page = client_as("grid01").get("/people/", {"q": "没有这个人"})

    assert 'id="empty-state"' in page.content.decode()


def test_the_detail_page_is_masked_and_logs_the_look(client_as, user):
    resident = make_resident()

    page = client_as("grid01").get(f"/people/{resident.pk}/")

    html = page.content.decode()
    assert page.status_code == 200 and resident.id_number_masked in html
    assert ID_NUMBER not in html and PHONE not in html
    assert 'id="reveal-form"' not in html  # no permission, no form
    [entry] = AccessLog.objects.filter(resident=resident)
    assert (entry.user, entry.via) == (user("grid01"), "page")


def test_the_access_log_names_the_fields_shown_in_chinese(client_as):
    resident = make_resident()
    client_as("grid01").get(f"/people/{resident.pk}/")

    html = client_as("center").get(f"/people/{resident.pk}/").content.decode()

    log = html[
        html.index('id="access-log"') : html.index("</table>", html.index('id="access-log"'))
    ]
    assert "姓名、性别、出生日期、身份证号、电话、网格" in log
    for code in ("name", "birth_date", "id_number_masked", "phone_masked", "verified_at"):
        assert code not in log, code


def test_the_detail_page_names_the_residents_household_not_a_count(client_as):
    client = client_as("grid01")
    client.post("/people/households/new/", household_post(FAMILY))
    head = Resident.objects.get(name="王大山")

    html = client.get(f"/people/{head.pk}/").content.decode()

    assert "所在户" in html and "户数" not in html and "H-0001" in html


def test_another_grid_gets_404_for_a_resident_and_does_not_see_them_listed(client_as):
    resident = make_resident(GRID01)
    client = client_as("grid02")

    assert "王秀兰" not in client.get("/people/").content.decode()
    assert client.get(f"/people/{resident.pk}/").status_code == 404
    assert client.post(f"/people/{resident.pk}/verify/").status_code == 404
    assert not AccessLog.objects.exists()


def test_revealing_on_the_page_needs_a_reason_and_shows_the_number_once(client_as, user):
    resident = make_resident()
    client = client_as("center")
    url = f"/people/{resident.pk}/reveal/"

    assert client.post(url, {"field": "id_number", "reason": "入户核实"}).status_code == 403
    user("center").user_permissions.add(Permission.objects.get(codename="reveal_personal_data"))
    client = client_as("center")
    assert 'id="reveal-form"' in client.get(f"/people/{resident.pk}/").content.decode()
    with translation.override("en"):
        refused = client.post(url, {"field": "id_number", "reason": ""})
    assert refused.status_code == 400 and ID_NUMBER not in refused.content.decode()
    assert not RevealLog.objects.exists()

    shown = client.post(url, {"field": "id_number", "reason": "入户核实身份"})

    assert shown.status_code == 200 and ID_NUMBER in shown.content.decode()
    assert RevealLog.objects.get().reason == "入户核实身份"
    assert ID_NUMBER not in client.get(f"/people/{resident.pk}/").content.decode()


def test_verifying_from_the_detail_page_stamps_the_record(client_as, user):
    resident = make_resident()
    client = client_as("grid01")
    assert "王秀兰" in client.get("/people/unverified/").content.decode()

    response = client.post(f"/people/{resident.pk}/verify/")

    assert response.status_code == 302
    resident.refresh_from_db()
    assert resident.verified_by == user("grid01") and resident.verified_at
    assert "王秀兰" not in client.get("/people/unverified/").content.decode()


def test_a_grid_worker_adds_a_household_with_three_residents_in_one_form(client_as):
    client = client_as("grid01")
    assert client.get("/people/households/new/").status_code == 200

    response = client.post("/people/households/new/", household_post(FAMILY))

    assert response.status_code == 302, response.content.decode()[:2000]
    household = Household.objects.get()
    assert household.grid.code == GRID01
    relations = {m.resident.name: m.relation for m in household.memberships.all()}
    assert relations == {"王大山": "head", "李小芳": "spouse", "王小明": "child"}
    page = client.get(response["Location"]).content.decode()
    assert "李小芳" in page
    for _name, number, phone, _relation in FAMILY:
        assert number not in page and (not phone or phone not in page)


def test_the_household_form_keeps_what_was_typed_and_marks_the_wrong_resident(client_as):
    rows = [*FAMILY[:2], ("王小明", FAMILY[2][1][:-1] + "X", "123", "child")]
    if idnumber.check_digit(FAMILY[2][1][:17]) == "X":
        rows[2] = ("王小明", FAMILY[2][1][:-1] + "0", "123", "child")

    with translation.override("en"):
        response = client_as("grid01").post("/people/households/new/", household_post(rows))

    html = response.content.decode()
    assert response.status_code == 400
    assert not Household.objects.exists() and not Resident.objects.exists()
    assert "王大山" in html and "李小芳" in html and 'value="123"' in html
    member = html.split('id="member-2"')[1].split("</fieldset>")[0]
    assert "invalid-feedback" in member
    assert "invalid-feedback" not in html.split('id="member-0"')[1].split("</fieldset>")[0]


def test_grid02_cannot_add_a_household_in_grid01(client_as):
    response = client_as("grid02").post("/people/households/new/", household_post(FAMILY))

    assert response.status_code == 400
    assert not Household.objects.exists()


@pytest.mark.parametrize(
    ("username", "sees_entry"),
    [("center", True), ("grid01", True), ("dept-transport", False), ("resident01", False)],
)
def test_the_basic_data_entry_is_in_the_menu_of_centre_and_grid_staff(
    client_as, username, sees_entry
):
    page = client_as(username).get("/notifications/")

    assert ('id="nav-people"' in page.content.decode()) == sees_entry


def test_departments_cannot_open_the_basic_data_pages(client_as):
    client = client_as("dept-transport")

    assert client.get("/people/").status_code == 403
    assert client.get("/people/households/new/").status_code == 403
