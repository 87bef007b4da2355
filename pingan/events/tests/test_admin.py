"""The admin of the event models: every page opens, events stay read-only, staff see their scope."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import Permission
from django.contrib.messages import get_messages
from django.urls import reverse

from pingan.core import crypto
from pingan.events.models import (
    CallTerminal,
    Category,
    Event,
    IntakeSystem,
    KeywordRule,
    RoutingRule,
)
from pingan.events.tests.conftest import GRID02, VILLAGE01, event_in, report
from pingan.geo.models import Region
from pingan.workflow.deadlines import sweep
from pingan.workflow.models import AccountabilityRecord

pytestmark = pytest.mark.django_db

MODELS = [
    Category,
    RoutingRule,
    KeywordRule,
    IntakeSystem,
    CallTerminal,
    Event,
    AccountabilityRecord,
]
EDITABLE = [Category, RoutingRule, KeywordRule, IntakeSystem, CallTerminal]


def url(model, view: str, *args) -> str:
    opts = model._meta
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_{view}", args=args)


@pytest.fixture
def some_of_everything():
    event = event_in(Event.Status.SIGNED)
    sweep(now=event.resolve_due_at.replace(year=event.resolve_due_at.year + 1))
    terminal = CallTerminal(name="杨大爷", address="南门社区3栋", village=village())
    terminal.set_phone("13912345678")
    terminal.save()
    from pingan.events.systems import create_system

    create_system("地灾监测平台", Region.objects.get(code="513999"))
    return event


def village(code: str = VILLAGE01) -> Region:
    return Region.objects.get(code=code)


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_superuser_opens_the_list_of_every_event_model(client_as, some_of_everything, model):
    response = client_as("admin").get(url(model, "changelist"))
    assert response.status_code == 200
    assert response.context["cl"].result_count == model.objects.count() > 0


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_superuser_opens_a_change_or_view_page_of_every_event_model(
    client_as, some_of_everything, model
):
    obj = model.objects.order_by("pk").last()
    assert client_as("admin").get(url(model, "change", obj.pk)).status_code == 200


@pytest.mark.parametrize("model", EDITABLE, ids=lambda m: m.__name__)
def test_superuser_opens_the_add_page_of_the_editable_models(client_as, model):
    assert client_as("admin").get(url(model, "add")).status_code == 200


@pytest.mark.parametrize("model", [Event, AccountabilityRecord], ids=lambda m: m.__name__)
def test_events_and_accountability_records_cannot_be_added_changed_or_deleted_by_hand(
    client_as, some_of_everything, model
):
    client = client_as("admin")
    obj = model.objects.order_by("pk").last()
    assert client.get(url(model, "add")).status_code == 403
    assert client.get(url(model, "delete", obj.pk)).status_code == 403
    page = client.get(url(model, "change", obj.pk))
    assert not page.context["has_change_permission"]
    before = model.objects.filter(pk=obj.pk).values().get()
    client.post(url(model, "change", obj.pk), {"note": "篡改", "status": "closed"})
    assert model.objects.filter(pk=obj.pk).values().get() == before


def test_an_events_page_shows_its_timeline_and_the_masked_phone_only(client_as):
    event = report("center", channel="hotline", where=None, village=VILLAGE01,
                   reporter_phone="13800138000")  # fmt: skip
    page = client_as("admin").get(url(Event, "change", event.pk)).content.decode()
    assert event.number in page and "138****8000" in page
    assert "13800138000" not in page and event.reporter_phone_encrypted not in page


def test_categories_are_listed_as_a_tree(client_as):
    response = client_as("admin").get(url(Category, "changelist"))
    codes = [c.code for c in response.context["cl"].result_list]
    assert codes == sorted(codes)
    assert codes.index("02") < codes.index("0201") < codes.index("03")


def test_a_call_terminal_saves_its_phone_encrypted_and_shows_it_masked(client_as):
    client = client_as("admin")
    response = client.post(
        url(CallTerminal, "add"),
        {
            "name": "杨大爷",
            "phone": "+86 139 1234 5678",
            "address": "南门社区3栋2单元101",
            "village": village().pk,
            "lng": "",
            "lat": "",
            "is_active": "on",
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    terminal = CallTerminal.objects.get(name="杨大爷")
    assert terminal.phone_masked == "139****5678"
    assert crypto.decrypt(terminal.phone_encrypted) == "13912345678"
    assert terminal.phone_hash == crypto.keyed_hash("13912345678")
    listing = client.get(url(CallTerminal, "changelist")).content.decode()
    assert "139****5678" in listing and "13912345678" not in listing
    found = client.get(url(CallTerminal, "changelist"), {"q": "139 1234 5678"})
    assert list(found.context["cl"].result_list) == [terminal]


def test_a_call_terminal_with_a_bad_or_taken_phone_is_refused(client_as):
    client = client_as("admin")
    form = {"name": "李奶奶", "address": "南门社区5栋", "village": village().pk, "is_active": "on"}
    response = client.post(url(CallTerminal, "add"), {**form, "phone": "12345abc"})
    assert "phone" in response.context["adminform"].form.errors
    client.post(url(CallTerminal, "add"), {**form, "phone": "13700000001"})
    response = client.post(url(CallTerminal, "add"), {**form, "name": "王大爷",
                                                      "phone": "137 0000 0001"})  # fmt: skip
    assert "phone" in response.context["adminform"].form.errors
    assert CallTerminal.objects.count() == 1


def test_changing_a_call_terminal_without_a_phone_keeps_the_number(client_as):
    terminal = CallTerminal(name="杨大爷", address="南门社区3栋", village=village())
    terminal.set_phone("13912345678")
    terminal.save()
    response = client_as("admin").post(
        url(CallTerminal, "change", terminal.pk),
        {"name": "杨大爷", "phone": "", "address": "南门社区4栋", "village": village().pk},
    )
    assert response.status_code == 302
    terminal.refresh_from_db()
    assert terminal.address == "南门社区4栋" and terminal.phone_masked == "139****5678"


def test_adding_an_intake_system_shows_its_key_once(client_as):
    from pingan.events.systems import system_for_key

    client = client_as("admin")
    response = client.post(
        url(IntakeSystem, "add"),
        {"name": "地灾监测平台", "region": Region.objects.get(code="513999").pk},
        follow=True,
    )
    system = IntakeSystem.objects.get(name="地灾监测平台")
    [message] = [str(m) for m in get_messages(response.wsgi_request) if "pingan_" in str(m)]
    key = re.search(r"pingan_[A-Za-z0-9_-]+", message).group()
    assert system_for_key(key) == system
    assert system.user.username.startswith("system-")
    again = client.get(url(IntakeSystem, "change", system.pk)).content.decode()
    assert key not in again and system.key_prefix in again


def test_rotating_a_key_replaces_it(client_as):
    from pingan.events.systems import create_system, system_for_key

    system, old_key = create_system("地灾监测平台", Region.objects.get(code="513999"))
    response = client_as("admin").post(
        url(IntakeSystem, "changelist"),
        {"action": "rotate_keys", "_selected_action": [system.pk]},
        follow=True,
    )
    [message] = [str(m) for m in get_messages(response.wsgi_request) if "pingan_" in str(m)]
    new_key = re.search(r"pingan_[A-Za-z0-9_-]+", message).group()
    assert system_for_key(old_key) is None and system_for_key(new_key) == system


# --- centre staff -------------------------------------------------------------------------------


def test_the_county_centre_manages_routing_data_in_the_admin(client_as):
    client = client_as("center")
    for model in EDITABLE:
        assert client.get(url(model, "changelist")).status_code == 200, model
        assert client.get(url(model, "add")).status_code == 200, model
    assert client.get(url(AccountabilityRecord, "changelist")).status_code == 200
    rule = RoutingRule.objects.filter(region__code="513999").first()
    assert client.get(url(RoutingRule, "change", rule.pk)).status_code == 200


@pytest.fixture
def town01_staff(user):
    """Make the first township's dispatcher staff with the demo centre group's permissions."""
    town01 = user("town01")
    town01.is_staff = True
    town01.save(update_fields=["is_staff"])
    town01.groups.add(*user("center").groups.all())
    town01.user_permissions.add(Permission.objects.get(codename="view_event"))
    return town01


def test_township_staff_see_only_their_townships_events_and_records(client_as, town01_staff):
    mine = report("grid01", category="1001", description="夜间有人聚集滋事")
    wall = report("grid01")
    theirs = report("grid02", where=GRID02, category="1001", description="夜间有人聚集滋事")
    sweep(now=mine.sign_due_at.replace(year=mine.sign_due_at.year + 1))
    assert AccountabilityRecord.objects.filter(event__in=[mine, wall, theirs]).count() == 6
    client = client_as("town01")

    events = client.get(url(Event, "changelist")).context["cl"].result_list
    assert mine in events and wall in events and theirs not in events
    assert client.get(url(Event, "change", theirs.pk)).status_code == 302  # "not found" redirect
    records = client.get(url(AccountabilityRecord, "changelist")).context["cl"].result_list
    # The township's police station, not the county bureau nor another township's station.
    assert sorted((r.department.code, r.kind) for r in records) == [
        ("513999001-police", "resolve"),
        ("513999001-police", "sign"),
    ]


def test_township_staff_see_only_routing_rules_and_terminals_of_their_township(
    client_as, town01_staff
):
    here = CallTerminal(name="杨大爷", address="南门社区3栋", village=village())
    here.set_phone("13912345678")
    here.save()
    there = CallTerminal(name="扎西", address="大河坝村", village=village("513999002201"))
    there.set_phone("13912345679")
    there.save()
    client = client_as("town01")

    rules = client.get(url(RoutingRule, "changelist")).context["cl"].result_list
    assert {r.region.code for r in rules} == {"513999001"}
    terminals = client.get(url(CallTerminal, "changelist")).context["cl"].result_list
    assert list(terminals) == [here]
    assert client.get(url(CallTerminal, "change", there.pk)).status_code == 302
    county_rule = RoutingRule.objects.filter(region__code="513999").first()
    assert client.get(url(RoutingRule, "change", county_rule.pk)).status_code == 302


def test_users_without_admin_rights_are_kept_out(client_as):
    assert client_as("grid01").get(url(Event, "changelist")).status_code in (302, 403)
