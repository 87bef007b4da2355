"""联户 groups (十户联防 / 十铺 / 十车): list, detail, phone form with pickers, API — scoped."""

from __future__ import annotations

import datetime as dt
import itertools
import re

import pytest

from pingan.geo.models import Grid
from pingan.people import idnumber
from pingan.people.models import Household, HouseholdGroup, HouseholdMember, Organization, Resident

pytestmark = pytest.mark.django_db

GRID01 = "513999001001001"
GRID02 = "513999002201001"
_seq = itertools.count(1)


def grid(code: str = GRID01) -> Grid:
    return Grid.objects.get(code=code)


def resident(name: str, code: str = GRID01) -> Resident:
    g = grid(code)
    n = next(_seq)
    r = Resident(name=name, grid=g, region=g.region, registered_address="示范县")
    r.set_id_number(idnumber.generate("513999", dt.date(1960, 1, 1) + dt.timedelta(days=n), n))
    r.set_phone("13912345678")
    r.save()
    return r


def household(number: str, head: Resident, code: str = GRID01) -> Household:
    g = grid(code)
    h = Household.objects.create(grid=g, region=g.region, number=number)
    HouseholdMember.objects.create(household=h, resident=head, relation="head")
    return h


def shop(name: str, code: str = GRID01) -> Organization:
    g = grid(code)
    return Organization.objects.create(name=name, kind="shop", grid=g, region=g.region)


def group(name: str, code: str = GRID01, **extra) -> HouseholdGroup:
    g = grid(code)
    return HouseholdGroup.objects.create(name=name, grid=g, region=g.region, **extra)


@pytest.fixture
def grid01_data():
    """A head, two households and a shop in grid01."""
    head = resident("王大山")
    return {
        "head": head,
        "households": [household("H-1", head), household("H-2", resident("李小芳"))],
        "shop": shop("平安超市"),
    }


def group_post(data, **extra):
    return {
        "name": "南门第一联户",
        "kind": "households",
        "grid": grid().pk,
        "head": data["head"].pk,
        "households": [h.pk for h in data["households"]],
        "organizations": [data["shop"].pk],
        "vehicles": "川A12345 王大山\n\n 川A12345  王大山\n川B99999 李小芳",
        **extra,
    }


def test_grid01_creates_a_group_with_its_head_members_and_vehicles(client_as, grid01_data, user):
    client = client_as("grid01")
    assert client.get("/people/groups/new/").status_code == 200

    response = client.post("/people/groups/new/", group_post(grid01_data))

    assert response.status_code == 302, response.content.decode()[:3000]
    saved = HouseholdGroup.objects.get()
    assert (saved.name, saved.kind, saved.grid.code) == ("南门第一联户", "households", GRID01)
    assert saved.head == grid01_data["head"] and saved.collected_by == user("grid01")
    assert set(saved.households.all()) == set(grid01_data["households"])
    assert list(saved.organizations.all()) == [grid01_data["shop"]]
    assert saved.vehicles == "川A12345 王大山\n川B99999 李小芳"  # blanks and repeats dropped
    assert response["Location"] == f"/people/groups/{saved.pk}/"


def test_the_group_page_shows_the_head_masked_members_and_vehicles(client_as, grid01_data):
    client = client_as("grid01")
    client.post("/people/groups/new/", group_post(grid01_data))
    head = grid01_data["head"]

    html = client.get(f"/people/groups/{HouseholdGroup.objects.get().pk}/").content.decode()

    assert head.id_number_masked in html and head.reveal_id_number() not in html
    assert "13912345678" not in html
    households = html.split('id="group-households"')[1].split("</ul>")[0]
    assert "H-1" in households and "H-2" in households and "户主 王大山" in households
    assert "平安超市" in html.split('id="group-organizations"')[1].split("</ul>")[0]
    assert html.split('id="group-vehicles"')[1].split("</ul>")[0].count("<li") == 2
    assert 'action="/people/verify/groups/' in html


def test_a_head_or_household_of_another_grid_is_refused_and_nothing_is_saved(
    client_as, grid01_data
):
    stranger = resident("赵外人", GRID02)
    far_household = household("H-9", stranger, GRID02)

    response = client_as("grid01").post(
        "/people/groups/new/",
        group_post(
            grid01_data,
            head=stranger.pk,
            households=[grid01_data["households"][0].pk, far_household.pk],
        ),
        HTTP_ACCEPT_LANGUAGE="en",
    )

    html = response.content.decode()
    assert response.status_code == 400
    assert not HouseholdGroup.objects.exists()
    head_picker = html.split('id="picker-head"')[1].split("</fieldset>")[0]
    assert "Choose a resident from your grids." in head_picker
    assert "invalid-feedback" in html.split('id="picker-households"')[1].split("</fieldset>")[0]
    assert 'value="南门第一联户"' in html and "川B99999 李小芳" in html  # what was typed is kept
    assert "赵外人" not in html


def test_the_pickers_offer_only_records_in_scope_and_keep_the_ticked_ones(client_as, grid01_data):
    resident("王外人", GRID02)
    household("H-8", resident("钱外人", GRID02), GRID02)
    shop("平安外店", GRID02)
    client = client_as("grid01")

    heads = client.get("/people/groups/pick/head/", {"head_q": "王"}).content.decode()
    by_head = client.get("/people/groups/pick/households/", {"households_q": "李小芳"})
    shops = client.get("/people/groups/pick/organizations/", {"organizations_q": "平安"})
    nearby = client.get("/people/groups/pick/households/", {"grid": grid().pk}).content.decode()
    ticked = client.get(
        "/people/groups/pick/households/",
        {"households": [grid01_data["households"][0].pk], "households_q": "H-2"},
    ).content.decode()

    assert "王大山" in heads and "王外人" not in heads
    assert grid01_data["head"].reveal_id_number() not in heads
    assert "H-2 · 户主 李小芳" in by_head.content.decode() and "H-8" not in by_head.content.decode()
    assert "平安超市" in shops.content.decode() and "平安外店" not in shops.content.decode()
    assert "H-1" in nearby and "H-2" in nearby and "H-8" not in nearby
    assert ticked.index("H-1") < ticked.index("H-2")
    first = grid01_data["households"][0].pk
    assert "checked" in ticked.split(f'value="{first}"')[1].split(">")[0]
    assert "checked" not in ticked.split(f'value="{grid01_data["households"][1].pk}"')[1][:60]
    assert client.get("/people/groups/pick/users/").status_code == 404


def test_the_group_list_searches_by_name_and_head_and_filters_by_grid_and_kind(client_as):
    head = resident("孙联长")
    group("南门第一联户", head=head)
    group("北街十铺", kind="shops")
    group("远方联户", GRID02)
    client = client_as("center")

    def names(**query):
        html = client.get("/people/groups/", query).content.decode()
        if 'id="empty-state"' in html:
            return []
        table = html.split('id="group-table"')[1].split("</table>")[0]
        return sorted(n for n in ("南门第一联户", "北街十铺", "远方联户") if n in table)

    assert names() == ["北街十铺", "南门第一联户", "远方联户"]
    assert names(q="南门") == ["南门第一联户"]
    assert names(q="孙联") == ["南门第一联户"]
    assert names(grid=GRID02) == ["远方联户"]
    assert names(kind="shops") == ["北街十铺"]
    assert names(q="没有这个") == []


def test_the_group_list_puts_numbers_in_order_not_text_order(client_as):
    for number in (10, 2, 1, 11):
        group(f"平安村第{number}联户")
    renamed = group("平安村第3联户")
    renamed.name = "平安村第20联户"
    renamed.save(update_fields=["name"])

    html = client_as("grid01").get("/people/groups/", {"q": "平安村第"}).content.decode()

    shown = re.findall(r"平安村第(\d+)联户", html.split('id="group-table"')[1])
    assert list(dict.fromkeys(shown)) == ["1", "2", "10", "11", "20"]


def test_the_migration_gives_existing_groups_their_sort_keys():
    from importlib import import_module

    from django.apps import apps

    migration = import_module("pingan.people.migrations.0003_household_group_name_key")
    group("平安村第7联户")
    HouseholdGroup.objects.update(name_key="")

    migration.fill_name_keys(apps, None)

    assert HouseholdGroup.objects.get(name="平安村第7联户").name_key == "平安村第0000000007联户"
    assert not HouseholdGroup.objects.filter(name_key="").exists()


def test_the_group_list_exports_with_its_filters_and_links_the_import(client_as):
    group("南门第一联户")

    html = (
        client_as("grid01").get("/people/groups/", {"q": "南门", "grid": GRID01}).content.decode()
    )

    export = html.split('id="export-groups"')[1].split("</form>")[0]
    assert 'name="kind" value="groups"' in export
    assert 'name="q" value="南门"' in export and f'name="grid" value="{GRID01}"' in export
    assert 'action="/people/import/export/"' in html.split('id="export-groups"')[0][-200:]
    assert 'href="/people/import/?kind=groups"' in html
    assert 'id="nav-groups"' in html


def test_the_export_button_starts_a_groups_export_with_the_lists_filters(
    client_as, settings, tmp_path
):
    from pingan.core.models import Job

    settings.MEDIA_ROOT = str(tmp_path)  # the job (run at once in tests) writes its file here
    group("南门第一联户", kind="shops")
    client = client_as("grid01")
    html = client.get("/people/groups/", {"q": "南门", "grid": GRID01, "kind": "shops"})
    export = html.content.decode().split('id="export-groups"')[1].split("</form>")[0]
    fields: dict[str, list[str]] = {}
    for name, value in re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', export):
        fields.setdefault(name, []).append(value)

    response = client.post("/people/import/export/", fields)

    assert response.status_code == 302
    job = Job.objects.order_by("-pk").first()
    assert job.params["kind"] == "groups"
    assert job.params["filters"] == {"q": "南门", "grid": GRID01, "kind": "shops"}


def test_the_group_list_pages_fifty_at_a_time_with_few_queries(
    client_as, django_assert_max_num_queries
):
    for n in range(55):
        group(f"联户{n:02d}", head=resident(f"联长{n}") if n < 5 else None)
    client = client_as("grid01")
    client.get("/people/groups/")

    with django_assert_max_num_queries(10):
        first = client.get("/people/groups/").content.decode()

    second = client.get("/people/groups/", {"page": 2}).content.decode()
    assert first.count('<tr id="group-') == 50 and 'id="pager"' in first
    total = HouseholdGroup.objects.filter(grid__code=GRID01).count()
    pager = first.split('id="pager"')[1].split("</nav>")[0]
    assert f"1 / {-(-total // 50)}" in pager and f"共 {total} 条" in pager
    assert second.count('<tr id="group-') == total - 50


def test_grid02_can_neither_list_nor_open_nor_change_grid01s_group(client_as, grid01_data):
    kept = group("南门第一联户", head=grid01_data["head"])
    client = client_as("grid02")

    assert "南门第一联户" not in client.get("/people/groups/").content.decode()
    assert client.get(f"/people/groups/{kept.pk}/").status_code == 404
    assert client.get(f"/people/groups/{kept.pk}/edit/").status_code == 404
    post = group_post(grid01_data, grid=grid(GRID02).pk, name="改名")
    assert client.post(f"/people/groups/{kept.pk}/edit/", post).status_code == 404
    assert client.get("/people/groups/pick/head/", {"group": kept.pk}).status_code == 404
    assert client.post(f"/people/verify/groups/{kept.pk}/").status_code == 404
    kept.refresh_from_db()
    assert kept.name == "南门第一联户" and kept.verified_at is None


def test_grid01_edits_a_group_and_keeps_the_members_the_centre_chose_elsewhere(
    client_as, grid01_data
):
    far = household("H-9", resident("赵外人", GRID02), GRID02)
    also_far = household("H-10", resident("钱外人", GRID02), GRID02)
    kept = group("南门第一联户", head=grid01_data["head"])
    kept.households.set([grid01_data["households"][0], far])
    client = client_as("grid01")
    edit = client.get(f"/people/groups/{kept.pk}/edit/").content.decode()
    assert "H-9" in edit.split('id="picker-households"')[1]

    renamed = client.post(
        f"/people/groups/{kept.pk}/edit/",
        group_post(grid01_data, name="南门联户", households=[far.pk], organizations=[]),
    )
    sneaked = client.post(
        f"/people/groups/{kept.pk}/edit/",
        group_post(grid01_data, households=[far.pk, also_far.pk]),
    )

    assert renamed.status_code == 302 and sneaked.status_code == 400
    kept.refresh_from_db()
    assert kept.name == "南门联户" and list(kept.households.all()) == [far]
    assert not kept.organizations.exists()


def test_a_group_name_is_unique_in_its_village(client_as, grid01_data):
    group("南门第一联户")

    response = client_as("grid01").post("/people/groups/new/", group_post(grid01_data))

    assert response.status_code == 400
    assert "invalid-feedback" in response.content.decode().split("field-name")[1][:1500]
    assert HouseholdGroup.objects.count() == 1


def test_departments_cannot_open_the_group_pages(client_as):
    kept = group("南门第一联户")
    client = client_as("dept-transport")

    assert client.get("/people/groups/").status_code == 403
    assert client.get("/people/groups/new/").status_code == 403
    assert client.get(f"/people/groups/{kept.pk}/").status_code in (403, 404)


# --- API --------------------------------------------------------------------------------------


def test_the_api_lists_groups_with_the_head_masked_and_filters_them(api_as, grid01_data):
    head = grid01_data["head"]
    kept = group("南门第一联户", head=head, vehicles="川A12345 王大山\n川B99999 李小芳")
    kept.households.set(grid01_data["households"])
    kept.organizations.set([grid01_data["shop"]])
    group("北街十铺", kind="shops")
    group("远方联户", GRID02)
    api = api_as("center")

    def names(**query):
        response = api.get("/api/v1/household-groups/", query)
        assert response.status_code == 200
        return sorted(row["name"] for row in response.json()["results"])

    assert names() == ["北街十铺", "南门第一联户", "远方联户"]
    assert names(q="王大") == ["南门第一联户"]
    assert names(grid=GRID02) == ["远方联户"]
    assert names(kind="shops") == ["北街十铺"]
    detail = api.get(f"/api/v1/household-groups/{kept.pk}/")
    body = detail.json()
    assert body["head"] == {
        "id": head.pk,
        "name": "王大山",
        "id_number_masked": head.id_number_masked,
        "phone_masked": head.phone_masked,
    }
    assert sorted(h["number"] for h in body["households"]) == ["H-1", "H-2"]
    assert body["organizations"][0]["name"] == "平安超市"
    assert body["vehicles"] == ["川A12345 王大山", "川B99999 李小芳"]
    assert head.reveal_id_number() not in detail.content.decode()


def test_grid02_cannot_list_or_fetch_grid01s_group_in_the_api_even_by_guessing(api_as):
    kept = group("南门第一联户")
    api = api_as("grid02")

    assert api.get("/api/v1/household-groups/").json()["results"] == []
    assert api.get(f"/api/v1/household-groups/{kept.pk}/").status_code == 404
    assert api.get(f"/api/v1/household-groups/{kept.pk + 1000}/").status_code == 404
    assert api.get("/api/v1/household-groups/", {"grid": GRID01}).json()["results"] == []
    assert api_as("grid01").get(f"/api/v1/household-groups/{kept.pk}/").status_code == 200


def test_the_group_api_is_read_only_and_documented(api_as):
    response = api_as("center").post("/api/v1/household-groups/", {"name": "x"}, format="json")
    schema = api_as("center").get("/api/schema/", {"format": "json"}).json()

    assert response.status_code == 405
    assert {"/api/v1/household-groups/", "/api/v1/household-groups/{id}/"} <= set(schema["paths"])
    params = {p["name"] for p in schema["paths"]["/api/v1/household-groups/"]["get"]["parameters"]}
    assert {"q", "grid", "kind"} <= params
