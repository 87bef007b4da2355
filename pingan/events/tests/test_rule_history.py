"""Every edit of a category (its deadlines and replies), routing rule or keyword rule is kept:
who, when, before and after, whether made through the routing pages or the admin."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils import timezone

from pingan.accounts.models import Department
from pingan.events.models import Category, KeywordRule, RoutingRule
from pingan.events.tests.conftest import HOUSING, TOWNSHIP01, TRANSPORT, WALL
from pingan.geo.models import Region

pytestmark = pytest.mark.django_db


def admin_url(model, view: str, *args) -> str:
    opts = model._meta
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_{view}", args=args)


def changes(record) -> dict[str, tuple]:
    """Return {field: (before, after)} between ``record`` and the version before it."""
    older = record.instance_type.history.filter(id=record.id, history_id__lt=record.history_id)
    delta = record.diff_against(
        older.order_by("-history_id").first(),
        excluded_fields={"created_at", "updated_at"},
        foreign_keys_are_objs=False,
    )
    return {change.field: (change.old, change.new) for change in delta.changes}


def admin_form_data(response) -> dict:
    """Return the POST data that submits an admin change page as it was shown (no new inlines)."""
    forms = [response.context["adminform"].form]
    data = {}
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        for key, value in formset.management_form.initial.items():
            data[f"{formset.prefix}-{key}"] = value
        data[f"{formset.prefix}-TOTAL_FORMS"] = formset.initial_form_count()
        forms.extend(formset.initial_forms)
    for form in forms:
        for name in form.fields:
            value = form[name].value()
            if value is None or value is False:
                continue
            data[form.add_prefix(name)] = "on" if value is True else value
    return data


@pytest.fixture
def township_rule():
    """A rule the county centre edits: township 01's housing matters go to the housing bureau."""
    return RoutingRule.objects.create(
        category=Category.objects.get(code="0101"),
        region=Region.objects.get(code=TOWNSHIP01),
        department=Department.objects.get(code=HOUSING),
        note="旧备注",
    )


@pytest.fixture
def view_only_staff(user):
    """The county leader as staff who may view, not change, the routing data in the admin."""
    leader = user("leader")
    leader.is_staff = True
    leader.save(update_fields=["is_staff"])
    leader.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label="events",
            codename__in=["view_category", "view_routingrule", "view_keywordrule"],
        )
    )
    return leader


# --- the routing pages ------------------------------------------------------------------------


def test_adding_a_rule_on_the_routing_page_records_who_created_it(client_as, user):
    region = Region.objects.get(code=TOWNSHIP01)
    transport = Department.objects.get(code=TRANSPORT)
    response = client_as("center").post(
        reverse("events:routing_add"),
        {"category": "0101", "region": region.pk, "department": transport.pk, "note": "新规则"},
    )
    assert response.status_code == 302
    rule = RoutingRule.objects.get(note="新规则")
    created = rule.history.get()
    assert created.history_type == "+"
    assert created.history_user == user("center")
    assert (created.department_id, created.region_id, created.note) == (
        transport.pk,
        region.pk,
        "新规则",
    )


def test_editing_a_rule_on_the_routing_page_records_who_when_before_and_after(
    client_as, user, township_rule
):
    transport = Department.objects.get(code=TRANSPORT)
    before = timezone.now()
    response = client_as("center").post(
        reverse("events:routing_edit", args=[township_rule.pk]),
        {
            "category": "0101",
            "region": township_rule.region_id,
            "department": transport.pk,
            "note": "新备注",
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    edit = township_rule.history.first()
    assert edit.history_type == "~"
    assert edit.history_user == user("center")
    assert before <= edit.history_date <= timezone.now()
    found = changes(edit)
    assert found["department"] == (Department.objects.get(code=HOUSING).pk, transport.pk)
    assert found["note"] == ("旧备注", "新备注")
    assert "region" not in found and "category" not in found


def test_deleting_a_rule_on_the_routing_page_keeps_its_last_version_and_who_deleted_it(
    client_as, user, township_rule
):
    pk = township_rule.pk
    response = client_as("center").post(reverse("events:routing_delete", args=[pk]))
    assert response.status_code == 302
    assert not RoutingRule.objects.filter(pk=pk).exists()
    deleted = RoutingRule.history.filter(id=pk).first()
    assert deleted.history_type == "-"
    assert deleted.history_user == user("center")
    assert (deleted.department.code, deleted.note) == (HOUSING, "旧备注")


def test_a_rule_that_fails_validation_on_the_page_records_nothing(client_as, township_rule):
    response = client_as("center").post(
        reverse("events:routing_edit", args=[township_rule.pk]),
        {"category": "0101", "region": township_rule.region_id, "department": "", "note": "x"},
    )
    assert response.status_code == 400
    assert township_rule.history.count() == 1  # only its creation


# --- the admin --------------------------------------------------------------------------------


def test_editing_a_categorys_deadlines_in_the_admin_records_before_and_after(client_as, user):
    category = Category.objects.get(code=WALL)
    client = client_as("center")
    page = client.get(admin_url(Category, "change", category.pk))
    data = admin_form_data(page)
    data.update(resolve_amount="8", resolve_unit="working_hours", reply_signed="已受理")
    data.pop("auto_dispatch", None)
    before = timezone.now()
    response = client.post(admin_url(Category, "change", category.pk), data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    edit = category.history.first()
    assert edit.history_user == user("center")
    assert before <= edit.history_date <= timezone.now()
    found = changes(edit)
    assert found.keys() == {"resolve_amount", "resolve_unit", "reply_signed", "auto_dispatch"}
    assert found["resolve_unit"] == ("natural_hours", "working_hours")
    assert found["auto_dispatch"] == (True, False)
    assert found["reply_signed"] == ("", "已受理")
    assert (found["resolve_amount"][0], found["resolve_amount"][1]) == (12, 8)


def test_editing_a_keyword_rule_in_the_categorys_admin_page_records_it(client_as, user):
    category = Category.objects.get(code=WALL)
    rule = category.keyword_rules.first()
    client = client_as("center")
    data = admin_form_data(client.get(admin_url(Category, "change", category.pk)))
    index = next(
        key.split("-")[1]
        for key, value in data.items()
        if key.endswith("-id") and str(value) == str(rule.pk)
    )
    data[f"keyword_rules-{index}-phrase"] = "挡墙+开裂"
    response = client.post(admin_url(Category, "change", category.pk), data)
    assert response.status_code == 302
    edit = rule.history.first()
    assert edit.history_user == user("center")
    assert changes(edit)["phrase"] == (rule.phrase, "挡墙+开裂")


def test_editing_a_routing_rule_in_the_admin_records_the_staff_member(
    client_as, user, township_rule
):
    client = client_as("center")
    data = admin_form_data(client.get(admin_url(RoutingRule, "change", township_rule.pk)))
    data["note"] = "后台修改"
    response = client.post(admin_url(RoutingRule, "change", township_rule.pk), data)
    assert response.status_code == 302
    edit = township_rule.history.first()
    assert edit.history_user == user("center")
    assert changes(edit) == {"note": ("旧备注", "后台修改")}


def test_deleting_a_keyword_rule_in_the_admin_is_recorded(client_as, user):
    rule = KeywordRule.objects.filter(category__code=WALL).first()
    response = client_as("center").post(admin_url(KeywordRule, "delete", rule.pk), {"post": "yes"})
    assert response.status_code == 302
    deleted = KeywordRule.history.filter(id=rule.pk).first()
    assert (deleted.history_type, deleted.history_user) == ("-", user("center"))


def test_deleting_rules_with_the_admins_bulk_action_records_each_one(
    client_as, user, township_rule
):
    rules = list(RoutingRule.objects.filter(region__code=TOWNSHIP01).values_list("pk", flat=True))
    assert township_rule.pk in rules and len(rules) > 1
    response = client_as("center").post(
        admin_url(RoutingRule, "changelist"),
        {"action": "delete_selected", "_selected_action": rules, "post": "yes"},
    )
    assert response.status_code == 302
    assert not RoutingRule.objects.filter(pk__in=rules).exists()
    deletions = RoutingRule.history.filter(id__in=rules, history_type="-")
    assert sorted(deletions.values_list("id", flat=True)) == sorted(rules)
    assert {record.history_user for record in deletions} == {user("center")}


def test_the_history_page_shows_each_change_in_chinese(client_as, user):
    category = Category.objects.get(code=WALL)
    client = client_as("center")
    data = admin_form_data(client.get(admin_url(Category, "change", category.pk)))
    data.update(resolve_amount="8", resolve_unit="working_hours")
    data.pop("auto_dispatch", None)
    client.post(admin_url(Category, "change", category.pk), data)

    page = client.get(admin_url(Category, "history", category.pk))
    assert page.status_code == 200
    text = page.content.decode()
    for words in ("修改人", "修改前 → 修改后", "处置时限单位", "自然小时", "工作小时", "是", "否"):
        assert words in text, words
    assert str(user("center")) in text
    assert "评价意见" not in text  # the project's word for a rating comment


def test_staff_who_may_only_view_open_the_history_but_cannot_revert(
    client, view_only_staff, township_rule
):
    township_rule.note = "第二版"
    township_rule.save()
    client.force_login(view_only_staff)
    history = client.get(admin_url(RoutingRule, "history", township_rule.pk))
    assert history.status_code == 200
    first = township_rule.history.last()
    version = admin_url(RoutingRule, "simple_history", township_rule.pk, first.history_id)
    assert client.get(version).status_code == 200
    assert client.post(version, {}).status_code == 405
    township_rule.refresh_from_db()
    assert township_rule.note == "第二版"


def test_centre_staff_cannot_revert_through_the_history_either(client_as, township_rule):
    township_rule.note = "第二版"
    township_rule.save()
    first = township_rule.history.last()
    version = admin_url(RoutingRule, "simple_history", township_rule.pk, first.history_id)
    client = client_as("center")
    data = admin_form_data(client.get(admin_url(RoutingRule, "change", township_rule.pk)))
    assert client.post(version, data).status_code == 405
    township_rule.refresh_from_db()
    assert township_rule.note == "第二版"


def test_township_staff_cannot_read_the_history_of_a_county_rule(client, user, township_rule):
    town01 = user("town01")
    town01.is_staff = True
    town01.save(update_fields=["is_staff"])
    town01.groups.add(*user("center").groups.all())
    client.force_login(town01)
    county_rules = RoutingRule.objects.filter(region__code="513999")
    deleted, alive = county_rules[0].pk, county_rules[1].pk
    RoutingRule.objects.get(pk=deleted).delete()
    for pk in (deleted, alive):
        assert client.get(admin_url(RoutingRule, "history", pk)).status_code == 404
        version = RoutingRule.history.filter(id=pk).first().history_id
        assert client.get(admin_url(RoutingRule, "simple_history", pk, version)).status_code == 404
    # Their own township's rules, even deleted ones, they may read.
    pk = township_rule.pk
    assert client.get(admin_url(RoutingRule, "history", pk)).status_code == 200
    township_rule.delete()
    assert client.get(admin_url(RoutingRule, "history", pk)).status_code == 200


def test_a_malformed_id_in_a_history_address_is_not_found(client_as, township_rule):
    client = client_as("center")
    assert client.get(admin_url(RoutingRule, "history", "x1")).status_code == 404
    assert (
        client.get(admin_url(RoutingRule, "simple_history", township_rule.pk, "x1")).status_code
        == 404
    )


def test_history_tables_have_no_page_outside_the_admin(client_as):
    # The historical models are registered with no admin of their own and no public URL.
    from django.contrib import admin

    assert not any(model.__name__.startswith("Historical") for model in admin.site._registry)
