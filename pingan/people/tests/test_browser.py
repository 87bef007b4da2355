"""Basic data in a real browser: a grid worker adds a household on a phone; the centre imports."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from openpyxl import Workbook

from pingan.core.browser_testing import BROWSER_TEST_MARKS, log_in
from pingan.people import idnumber
from pingan.people.models import Resident

pytestmark = BROWSER_TEST_MARKS

GRID01 = "513999001001001"
PHONE = {"width": 390, "height": 844}


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def number(seq: int) -> str:
    return idnumber.generate("513999", dt.date(1970, 1, 1) + dt.timedelta(days=seq), seq)


def test_a_grid_worker_adds_a_household_of_three_on_a_phone_and_sees_only_masked_numbers(
    browser, live_server
):
    context = browser.new_context(viewport=PHONE, locale="zh-CN")
    page = context.new_page()
    log_in(page, live_server, "grid01")
    page.goto(f"{live_server.url}/people/households/new/")
    page.fill("input[name=household-registered_address]", "示范县城关街道南门路 12 号")
    people = [("李建华", number(101), "head"), ("王芳", number(202), "spouse")]
    people.append(("李小明", number(303), "child"))
    for index, (name, id_number, relation) in enumerate(people):
        page.fill(f"input[name=member-{index}-name]", name)
        page.fill(f"input[name=member-{index}-id_number]", id_number)
        page.select_option(f"select[name=member-{index}-relation]", relation)
    page.fill("input[name=member-0-phone]", "13912340001")
    page.click("#household-form button[type=submit]")
    page.wait_for_load_state()
    page.wait_for_url(re.compile(r"/people/households/\d+/$"))

    assert Resident.objects.filter(grid__code=GRID01, name__in=[p[0] for p in people]).count() == 3
    page.goto(f"{live_server.url}/people/?q=李")
    body = page.content()
    assert "李建华" in body and "李小明" in body
    assert all(p[1] not in body for p in people) and "13912340001" not in body
    assert idnumber.mask(people[0][1]) in body
    context.close()


def test_the_centre_imports_a_ledger_with_bad_rows_and_gets_the_report(page, live_server, tmp_path):
    book = Workbook()
    sheet = book.active
    sheet.append(["姓名", "身份证号", "联系电话", "户籍地址", "网格编码"])
    sheet.append(["赵一", number(401), "13912340002", "示范县", GRID01])
    sheet.append(["钱二", number(402), "", "示范县", GRID01])
    good = number(403)
    wrong_check = good[:-1] + ("0" if good[-1] != "0" else "1")
    sheet.append(["孙三", wrong_check, "", "示范县", GRID01])
    sheet.append(["李四", number(404), "", "示范县", "999999999999999"])
    path = tmp_path / "台账.xlsx"
    book.save(path)
    log_in(page, live_server, "center")

    page.goto(f"{live_server.url}/people/import/")
    page.set_input_files("input[type=file]", str(path))
    page.click("#import-form button[type=submit]")
    page.wait_for_url(re.compile(r"/jobs/\d+/$"))
    page.wait_for_selector("#job-result")

    assert page.get_attribute("#job-progress-bar", "aria-valuenow") == "100"
    assert Resident.objects.filter(name__in=["赵一", "钱二"]).count() == 2
    assert not Resident.objects.filter(name__in=["孙三", "李四"]).exists()


def test_a_grid_worker_adds_a_member_and_creates_a_group_on_a_phone(browser, live_server, demo):
    from pingan.accounts.models import User
    from pingan.geo.models import Grid
    from pingan.people import services
    from pingan.people.models import HouseholdGroup

    household = services.create_household(
        grid=Grid.objects.get(code=GRID01),
        number="H-0001",
        registered_address="示范县城关街道南门路 12 号",
        members=[{"name": "李建华", "id_number": number(501), "phone": "", "relation": "head"}],
        acting_user=User.objects.get(username="grid01"),
    )
    head = Resident.objects.get(name="李建华")
    context = browser.new_context(viewport=PHONE, locale="zh-CN")
    page = context.new_page()
    fits = "document.documentElement.scrollWidth <= window.innerWidth"
    log_in(page, live_server, "grid01")

    page.goto(f"{live_server.url}/people/households/{household.pk}/")
    assert page.evaluate(fits)
    page.click("#add-new-member")
    page.fill("input[name=name]", "李小明")
    page.fill("input[name=id_number]", number(502))
    page.fill("input[name=phone]", "13912340009")
    page.select_option("select[name=relation]", "child")
    page.click("#member-form button[type=submit]")
    page.wait_for_url(re.compile(rf"/people/households/{household.pk}/$"))
    members = page.inner_text("#member-table")
    assert "李建华" in members and "李小明" in members
    assert number(502) not in page.content() and "13912340009" not in page.content()

    page.goto(f"{live_server.url}/people/groups/")
    page.click("#new-group")
    page.fill("input[name=name]", "南门第一联户")
    page.fill("#pick-head-q", "李建")
    page.wait_for_selector(f"#pick-head-options #pick-head-{head.pk}")
    page.check(f"#pick-head-{head.pk}")
    page.fill("#pick-households-q", "H-0001")
    page.wait_for_selector(f"#pick-households-options #pick-households-{household.pk}")
    page.check(f"#pick-households-{household.pk}")
    page.fill("textarea[name=vehicles]", "川A12345 李建华")
    assert page.evaluate(fits)
    page.click("#group-form button[type=submit]")
    page.wait_for_url(re.compile(r"/people/groups/\d+/$"))

    group = HouseholdGroup.objects.get(name="南门第一联户")
    assert group.head == head and list(group.households.all()) == [household]
    assert group.vehicles == "川A12345 李建华"
    assert head.id_number_masked in page.inner_text("#group-head")
    assert number(501) not in page.content()
    context.close()
