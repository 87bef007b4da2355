"""Every form of the event pages reports all its field errors at once, and a failed POST leaves
the browser on a URL that a reload (GET) opens again."""

from __future__ import annotations

import uuid

import pytest
from django.urls import reverse

from pingan.core.form_testing import bad_values, not_a_photo
from pingan.events.models import Event
from pingan.events.tests.conftest import event_in

pytestmark = pytest.mark.django_db

# Which accounts act on an event in each state (between them they hold every move).
ACTORS = {
    "reported": ["center"],
    "dispatched": ["center", "dept-transport"],
    "signed": ["center", "dept-transport"],
    "in_progress": ["dept-transport", "center"],
    "resolved": ["grid01", "center"],
    "closed": ["resident01", "center"],
    "suspended": ["center"],
    "on_hold": ["center", "dept-transport"],
    "requested": ["center"],  # in progress, with a pending extension request to decide
}


def event_for(status: str) -> Event:
    if status != "requested":
        return event_in(status)
    from pingan.events.tests.conftest import later, move

    event = event_in("in_progress")
    return move(
        event,
        "request_extension",
        "dept-transport",
        note="需要调运材料",
        due_at=later(72, event.resolve_due_at),
    )


@pytest.mark.parametrize("status", sorted(ACTORS))
def test_every_move_reports_all_its_field_errors_at_once(client_as, status):
    event = event_for(status)
    status = event.status
    tried = 0
    for username in ACTORS[status]:
        client = client_as(username)
        page = client.get(event.get_absolute_url())
        moves = list(page.context["forms"])
        if page.context["message_form"] is not None:
            moves.append(page.context["message_form"])
        for form in moves:
            data, expected = bad_values(form)
            if not expected:
                continue  # a one-button move: nothing can be wrong with it
            url = reverse("events:detail", args=[event.pk]) + f"?action={form.action}"
            response = client.post(url, data)
            assert response.status_code == 400, (username, form.action)
            bound = next(
                f
                for f in [*response.context["forms"], response.context["message_form"]]
                if f is not None and f.action == form.action
            )
            assert set(bound.errors) >= expected, (username, form.action, dict(bound.errors))
            assert client.get(url).status_code == 200
            tried += 1
        event.refresh_from_db()
        assert event.status == status
    assert tried


def test_resolving_with_no_note_and_no_photo_names_both(client_as):
    event = event_in("in_progress")
    client = client_as("dept-transport")
    url = reverse("events:detail", args=[event.pk]) + "?action=resolve"
    response = client.post(url, {"resolve-note": ""})
    form = next(f for f in response.context["forms"] if f.action == "resolve")
    assert set(form.errors) == {"note", "photos"}
    text = response.content.decode()
    assert "此字段为必填项" in text
    reloaded = client.get(url)
    assert reloaded.status_code == 200
    assert 'id="action-resolve" data-action="resolve" open' in reloaded.content.decode()


def test_the_old_move_url_opens_the_event_page_on_a_get(client_as):
    event = event_in("in_progress")
    client = client_as("dept-transport")
    response = client.get(reverse("events:act", args=[event.pk, "resolve"]), follow=True)
    assert response.status_code == 200
    assert response.redirect_chain[-1][0].endswith(f"/events/{event.pk}/?action=resolve")


def test_the_action_forms_post_to_the_event_page(client_as):
    event = event_in("in_progress")
    html = client_as("dept-transport").get(event.get_absolute_url()).content.decode()
    assert f'action="/events/{event.pk}/?action=resolve"' in html
    assert "/act/" not in html


def test_a_phone_report_with_everything_bad_names_every_field(client_as):
    client = client_as("grid01")
    url = reverse("events:report")
    response = client.post(
        url,
        {
            "description": "",
            "title": "标" * 101,
            "category": "no-such-category",
            "channel": "no-such-channel",
            "address": "址" * 201,
            "client_key": uuid.uuid4().hex,
            "photos": [not_a_photo()],
        },
    )
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert set(errors) >= {"description", "title", "category", "channel", "address", "photos"}
    assert "village" in errors  # no place either: told together with the rest
    assert client.get(url).status_code == 200
    assert not Event.objects.exists()


def test_a_phone_report_without_text_and_place_names_both(client_as):
    response = client_as("grid01").post(
        reverse("events:report"),
        {"description": "", "channel": "grid_worker", "client_key": uuid.uuid4().hex},
    )
    assert set(response.context["form"].errors) == {"description", "village"}


def test_a_hotline_call_with_everything_bad_names_every_field(client_as):
    client = client_as("center")
    url = reverse("events:hotline")
    response = client.post(
        url,
        {
            "channel": "no-such-channel",
            "reporter_name": "名" * 51,
            "description": "",
            "category": "no-such-category",
            "priority": "no-such-priority",
            "village": "no-such-village",
            "lng": "east",
            "lat": "north",
            "photos": [not_a_photo()],
        },
    )
    assert response.status_code == 400
    errors = response.context["form"].errors
    expected = {"channel", "reporter_name", "description", "category", "priority", "village"}
    assert set(errors) >= expected | {"lng", "lat", "photos"}
    assert client.get(url).status_code == 200


def test_a_one_key_call_with_everything_bad_names_every_field(client_as):
    client = client_as("center")
    url = reverse("events:one_key")
    response = client.post(url, {"phone": "", "note": ""})
    assert response.status_code == 400
    assert "phone" in response.context["one_key_form"].errors
    assert client.get(url).status_code == 200


def test_the_routing_rule_form_names_every_bad_field(client_as):
    client = client_as("center")
    url = reverse("events:routing_add")
    response = client.post(url, {"category": "nope", "region": "nope", "department": "nope"})
    assert response.status_code in (200, 400)
    assert set(response.context["form"].errors) >= {"category", "region", "department"}
    assert client.get(url).status_code == 200


def test_the_routing_test_names_every_bad_field(client_as):
    response = client_as("center").get(
        reverse("events:routing_test"), {"category": "nope", "lng": "x", "lat": "y"}
    )
    form = response.context["test_form"]
    assert set(form.errors) >= {"category", "lng", "lat"}
    response = client_as("center").get(reverse("events:routing_test"), {"category": "nope"})
    assert set(response.context["test_form"].errors) >= {"category", "village"}


def test_a_category_names_every_problem_at_once():
    from django.core.exceptions import ValidationError

    from pingan.events.models import Category

    minor = Category.objects.filter(parent__isnull=False).first()
    category = Category(parent=minor, code="zz", name="坏分类", sign_amount=0, resolve_amount=-1)
    with pytest.raises(ValidationError) as caught:
        category.clean()
    assert set(caught.value.message_dict) == {"parent", "code", "sign_amount", "resolve_amount"}


def test_a_call_terminal_names_the_bad_phone_and_the_missing_latitude_together():
    from pingan.events.admin import CallTerminalForm

    form = CallTerminalForm(data={"name": "", "phone": "abc", "address": "", "lng": "104.1"})
    assert not form.is_valid()
    assert {"name", "phone", "lat"} <= set(form.errors)


def test_an_unreadable_phone_position_is_shown_not_hidden(client_as):
    response = client_as("grid01").post(
        reverse("events:report"),
        {"description": "路灯不亮", "lng": "east", "lat": "true", "client_key": uuid.uuid4().hex},
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert 'data-hidden-error="lng"' in html and "经度：" in html
    assert 'data-hidden-error="lat"' in html and "纬度：" in html
