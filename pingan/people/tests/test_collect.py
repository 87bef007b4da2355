"""Collection pages: houses and organisations added and edited on a phone, scoped by grid."""

from __future__ import annotations

import pytest
from django.db import connection
from django.utils import translation

from pingan.geo.models import Grid
from pingan.people import uscc
from pingan.people.models import Address, House, Organization

pytestmark = pytest.mark.django_db

GRID01 = "513999001001001"
PHONE = "13912345678"
CREDIT_CODE = uscc.generate("91513999MA6C1234K")


def house_post(grid_code=GRID01, **extra):
    return {
        "grid": Grid.objects.get(code=grid_code).pk,
        "street": "南门路",
        "number": "１２",
        "building": "",
        "unit": "",
        "room": "",
        "use": "shop",
        "owner_name": "王大山",
        "occupier_name": "李小芳",
        "is_rented": "on",
        "safety_notes": "灭火器过期",
        **extra,
    }


def organization_post(grid_code=GRID01, **extra):
    return {
        "grid": Grid.objects.get(code=grid_code).pk,
        "name": "示范县平安超市",
        "credit_code": CREDIT_CODE,
        "kind": "shop",
        "street": "南门路",
        "number": "12",
        "contact_name": "赵经理",
        "contact_phone": PHONE,
        **extra,
    }


def test_house_words_are_a_houses_住宅_and_产权人(client_as):
    client = client_as("grid01")
    client.post("/people/houses/new/", house_post(use="home"))

    html = client.get("/people/houses/").content.decode()
    rows = html.split('id="house-rows"')[1]

    assert "住宅" in rows and "首页" not in rows
    form = client.get("/people/houses/new/").content.decode()
    assert "产权人" in form and "所属对象" not in form  # not the notification channel's owner


def test_grid01_adds_a_house_at_a_standard_address(client_as, user):
    client = client_as("grid01")
    assert client.get("/people/houses/new/").status_code == 200

    response = client.post("/people/houses/new/", house_post())

    assert response.status_code == 302, response.content.decode()[:2000]
    house = House.objects.get()
    assert house.grid.code == GRID01 and house.use == "shop" and house.is_rented
    assert house.collected_by == user("grid01") and house.collected_at is not None
    assert house.address.number == "１２" and "|12|" in house.address.normalised
    assert "南门路" in client.get("/people/houses/").content.decode()
    assert client.get(f"/people/houses/{house.pk}/edit/").status_code == 200


def test_an_organisation_reuses_the_address_and_its_phone_is_only_masked(client_as):
    client = client_as("grid01")
    client.post("/people/houses/new/", house_post())

    response = client.post("/people/organizations/new/", organization_post())

    assert response.status_code == 302, response.content.decode()[:2000]
    organization = Organization.objects.get()
    assert Address.objects.count() == 1 and organization.address == House.objects.get().address
    assert organization.credit_code == CREDIT_CODE
    assert organization.contact_phone_masked and organization.contact_phone_masked != PHONE
    listed = client.get("/people/organizations/").content.decode()
    edit = client.get(f"/people/organizations/{organization.pk}/edit/").content.decode()
    for html in (listed, edit):
        assert organization.contact_phone_masked in html and PHONE not in html
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {Organization._meta.db_table}")  # noqa: S608
        rows = cursor.fetchall()
    assert rows and all(PHONE not in str(value) for row in rows for value in row)


def test_grid02_neither_sees_nor_edits_grid01s_house(client_as):
    client_as("grid01").post("/people/houses/new/", house_post())
    house = House.objects.get()

    client = client_as("grid02")

    assert client.get(f"/people/houses/{house.pk}/edit/").status_code == 404
    assert client.post(f"/people/houses/{house.pk}/edit/", house_post()).status_code == 404
    assert "南门路" not in client.get("/people/houses/").content.decode()


def test_a_wrong_credit_code_is_a_field_error_and_nothing_is_stored(client_as):
    bad = CREDIT_CODE[:-1] + ("0" if CREDIT_CODE[-1] != "0" else "1")

    with translation.override("en"):
        response = client_as("grid01").post(
            "/people/organizations/new/", organization_post(credit_code=bad)
        )

    html = response.content.decode()
    assert response.status_code == 400
    assert not Organization.objects.exists() and not Address.objects.exists()
    field = html.split("field-credit_code")[1].split("field-kind")[0]
    assert "invalid-feedback" in field and f'value="{bad}"' in field
    assert "示范县平安超市" in html and PHONE not in html


def test_a_kept_credit_code_is_a_field_error(client_as):
    client = client_as("grid01")
    client.post("/people/organizations/new/", organization_post())

    response = client.post("/people/organizations/new/", organization_post(name="另一家"))

    assert response.status_code == 400
    assert Organization.objects.count() == 1
    assert "invalid-feedback" in response.content.decode().split("field-credit_code")[1][:2000]


def test_departments_cannot_open_the_collection_pages(client_as):
    client_as("grid01").post("/people/houses/new/", house_post())
    house = House.objects.get()
    client = client_as("dept-transport")

    for url in ("/people/houses/", "/people/houses/new/", "/people/organizations/new/"):
        assert client.get(url).status_code == 403
    assert client.get(f"/people/houses/{house.pk}/edit/").status_code in (403, 404)
    assert client.post("/people/houses/new/", house_post()).status_code == 403
    assert House.objects.count() == 1


def test_grid01_edits_its_house_and_keeps_the_contact_phone_when_left_empty(client_as):
    client = client_as("grid01")
    client.post("/people/houses/new/", house_post())
    client.post("/people/organizations/new/", organization_post())
    house, organization = House.objects.get(), Organization.objects.get()
    masked = organization.contact_phone_masked

    edited = client.post(f"/people/houses/{house.pk}/edit/", house_post(use="home"))
    renamed = client.post(
        f"/people/organizations/{organization.pk}/edit/",
        organization_post(name="平安便利店", contact_phone=""),
    )

    assert edited.status_code == 302 and renamed.status_code == 302
    assert House.objects.get().use == "home" and Address.objects.count() == 1
    organization.refresh_from_db()
    assert organization.name == "平安便利店" and organization.contact_phone_masked == masked
    listed = client.get("/people/houses/", {"q": "南门", "use": "home"}).content.decode()
    assert f'id="house-{house.pk}"' in listed
    assert 'id="empty-state"' in client.get("/people/houses/", {"use": "vacant"}).content.decode()
