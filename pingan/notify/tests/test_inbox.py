"""The inbox: each user sees and marks only their own messages; the navbar shows the count."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from pingan.notify.models import Notification

pytestmark = pytest.mark.django_db


def message(recipient, title: str = "【提醒】巡查", url: str = "/reminders/1/", read=False):
    return Notification.objects.create(
        recipient=recipient,
        template="reminder_due",
        title=title,
        body="请按时办理。",
        url=url,
        read_at=timezone.now() if read else None,
    )


def test_inbox_requires_login(client):
    response = client.get(reverse("notify:inbox"))
    assert response.status_code == 302
    assert reverse("accounts:login") in response["Location"]


def test_grid_worker_sees_own_messages_only(client_as, user):
    mine = message(user("grid01"), "【提醒】grid01 的消息")
    message(user("grid02"), "【提醒】grid02 的消息")

    response = client_as("grid01").get(reverse("notify:inbox"))

    assert response.status_code == 200
    assert list(response.context["notifications"]) == [mine]
    assert "grid01 的消息" in response.content.decode()
    assert "grid02 的消息" not in response.content.decode()


def test_grid02_cannot_open_or_mark_grid01s_message(client_as, user):
    theirs = message(user("grid01"))
    client = client_as("grid02")

    assert client.get(reverse("notify:open", args=[theirs.pk])).status_code == 404
    assert client.post(reverse("notify:mark_read", args=[theirs.pk])).status_code == 404
    client.post(reverse("notify:mark_all_read"))

    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_even_a_superuser_cannot_read_another_users_inbox(client_as, user):
    theirs = message(user("grid01"))
    assert client_as("admin").get(reverse("notify:open", args=[theirs.pk])).status_code == 404


def test_the_navbar_shows_the_unread_count_on_every_page(client_as, user):
    grid01 = user("grid01")
    for _ in range(3):
        message(grid01)
    message(grid01, read=True)
    message(user("grid02"))

    response = client_as("grid01").get(reverse("accounts:home"))

    html = response.content.decode()
    assert 'id="notify-bell"' in html
    assert 'id="notify-badge"' in html
    assert 'data-count="3"' in html


def test_the_badge_is_hidden_without_unread_messages(client_as):
    html = client_as("grid01").get(reverse("accounts:home")).content.decode()
    assert 'data-count="0"' in html
    assert "bg-danger d-none" in html


def test_marking_one_message_read(client_as, user):
    mine = message(user("grid01"))
    response = client_as("grid01").post(reverse("notify:mark_read", args=[mine.pk]))
    assert response.status_code == 302
    mine.refresh_from_db()
    assert mine.read_at is not None


def test_marking_read_with_htmx_returns_the_row_and_the_new_badge(client_as, user):
    grid01 = user("grid01")
    mine = message(grid01)
    message(grid01)

    response = client_as("grid01").post(
        reverse("notify:mark_read", args=[mine.pk]), HTTP_HX_REQUEST="true"
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert f'id="notification-{mine.pk}"' in html
    assert 'data-read="1"' in html
    assert 'hx-swap-oob="true"' in html
    assert 'data-count="1"' in html


def test_marking_all_read(client_as, user):
    grid01 = user("grid01")
    for _ in range(3):
        message(grid01)
    other = message(user("grid02"))

    response = client_as("grid01").post(reverse("notify:mark_all_read"))

    assert response.status_code == 302
    assert not Notification.objects.filter(recipient=grid01, read_at__isnull=True).exists()
    other.refresh_from_db()
    assert other.read_at is None


def test_opening_a_message_marks_it_read_and_goes_to_its_page(client_as, user):
    mine = message(user("grid01"), url="/geo/grids/")
    response = client_as("grid01").get(reverse("notify:open", args=[mine.pk]))
    assert response.status_code == 302
    assert response["Location"] == "/geo/grids/"
    mine.refresh_from_db()
    assert mine.read_at is not None


def test_a_message_linking_elsewhere_opens_the_inbox_instead(client_as, user):
    mine = message(user("grid01"), url="https://evil.example.com/")
    response = client_as("grid01").get(reverse("notify:open", args=[mine.pk]))
    assert response["Location"] == reverse("notify:inbox")


def test_the_unread_filter_lists_unread_messages_only(client_as, user):
    grid01 = user("grid01")
    unread = message(grid01)
    message(grid01, read=True)
    response = client_as("grid01").get(reverse("notify:inbox"), {"show": "unread"})
    assert list(response.context["notifications"]) == [unread]


def test_an_unknown_filter_value_shows_everything(client_as, user):
    message(user("grid01"))
    response = client_as("grid01").get(reverse("notify:inbox"), {"show": "bogus", "page": "x"})
    assert response.status_code == 200
    assert response.context["show"] == "all"


def test_an_empty_inbox_says_so(client_as):
    response = client_as("grid01").get(reverse("notify:inbox"))
    assert 'id="empty-state"' in response.content.decode()


def test_the_inbox_is_paginated_newest_first(client_as, user):
    grid01 = user("grid01")
    created = [message(grid01, title=f"消息{i}") for i in range(25)]
    response = client_as("grid01").get(reverse("notify:inbox"))
    page = response.context["page_obj"]
    assert page.paginator.num_pages == 2
    assert page.object_list[0] == created[-1]


def _inbox_queries(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("notify:inbox")).status_code == 200
    return len(queries)


def test_the_inbox_query_count_does_not_grow_with_messages(client_as, user):
    grid01 = user("grid01")
    client = client_as("grid01")
    message(grid01)
    few = _inbox_queries(client)
    for i in range(30):
        message(grid01, read=bool(i % 2))
    assert _inbox_queries(client) == few


def test_the_inbox_links_a_message_instead_of_printing_its_url(client_as, user):
    old = message(user("grid01"), "【已派遣】SJ-1 道路塌陷")
    old.body = "已派遣 · 交通运输局\nhttp://127.0.0.1:8000/events/1/"  # as messages used to end
    old.save(update_fields=["body"])

    html = client_as("grid01").get(reverse("notify:inbox")).content.decode()

    assert "已派遣 · 交通运输局" in html and "http://127.0.0.1:8000/events/1/" not in html
    assert f'href="{reverse("notify:open", args=[old.pk])}">查看详情' in html
