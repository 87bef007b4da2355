"""Honest counts: every count a page shows is the length of the list it links to.

For each role of the demo accounts, on data with the cases that once made the pages disagree
(overdue but already resolved, returned, merged, assisting, on hold, another department's
events), every count on the home page and the department page — and on the pages they link
to (the workbench tabs, the inbox states) — is followed to its list and its rows are counted.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from urllib.parse import urljoin

import pytest
from django.urls import reverse
from django.utils import timezone

from pingan.accounts.models import Department
from pingan.events.models import Event
from pingan.events.services import record_accountability
from pingan.events.tests.conftest import HOUSING, TRANSPORT, event_in, move

pytestmark = pytest.mark.django_db

ROLES = (
    "admin",
    "center",
    "town01",
    "leader",
    "grid01",
    "dept-transport",
    "dept-housing",
    "resident01",
)


class _Counts(HTMLParser):
    """Collect (href, key, number) of every ``data-count`` element, and which are not links."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[str | None] = []
        self.pending: tuple[str | None, str] | None = None
        self.found: list[tuple[str | None, str, int]] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "a":
            self.links.append(attrs.get("href"))
        if "data-count" in attrs:
            href = next((h for h in reversed(self.links) if h), None)
            self.pending = (href, attrs["data-count"])

    def handle_endtag(self, tag):
        if tag == "a" and self.links:
            self.links.pop()

    def handle_data(self, data):
        if self.pending is not None and data.strip():
            href, key = self.pending
            self.found.append((href, key, int(data.strip())))
            self.pending = None


def linked_counts(html: str) -> list[tuple[str | None, str, int]]:
    parser = _Counts()
    parser.feed(html)
    return parser.found


def rows(html: str, marker: str = "data-event-id") -> int:
    """Return the number of distinct list rows (events, or records) on a page."""
    return len(set(re.findall(rf'{marker}="(\d+)"', html)))


def listed(client, target: str) -> int:
    """Return the length of the list at ``target``, every page of it (events, or messages)."""
    unread = target.startswith(reverse("notify:inbox"))  # the bell counts the unread ones
    if unread:
        target = urljoin(target, "?show=unread")
    total, page = 0, 1
    while True:
        separator = "&" if "?" in target else "?"
        response = client.get(f"{target}{separator}page={page}")
        assert response.status_code == 200, target
        html = response.content.decode()
        if unread:
            total += len(re.findall(r'id="notification-\d+" data-read="0"', html))
        else:
            total += rows(html)
        has_next = response.context["page_obj"].has_next  # a Window's field, a Page's method
        if not (has_next() if callable(has_next) else has_next) or page >= 50:
            return total
        page += 1


def overdue(event: Event) -> Event:
    Event.objects.filter(pk=event.pk).update(overdue_since=timezone.now())
    event.refresh_from_db()
    return event


@pytest.fixture
def mixed_events():
    """Events in every state that made the counts disagree, for two departments."""
    housing = Department.objects.get(code=HOUSING)
    event_in("dispatched")  # to sign for
    overdue(event_in("dispatched"))  # to sign for, overdue
    overdue(event_in("signed"))  # in hand, overdue
    event_in("in_progress")
    late = overdue(event_in("resolved"))  # resolved late: no longer overdue, awaits the check
    record_accountability(late, "resolve", late.resolve_due_at)
    overdue(event_in("on_hold"))  # in hand, paused, overdue
    event_in("suspended")
    overdue(event_in("dispatched", assist=True))  # housing assists, transport is late
    returned = event_in("dispatched")
    move(returned, "return", "dept-transport", note="不属于本部门职责")
    event_in("merged")
    event_in("closed")
    event_in("invalid")
    elsewhere = event_in("dispatched")
    move(elsewhere, "reassign", "center", department=housing.pk)
    overdue(elsewhere)  # another department's overdue event
    event_in("reported")


def check_page(client, url: str, seen: set[str], depth: int = 1) -> int:
    """Check every count on ``url`` against the rows of the list it links to; return how many."""
    response = client.get(url)
    assert response.status_code == 200, url
    html = response.content.decode()
    checked = 0
    for href, key, number in linked_counts(html):
        assert href, f"{url}: the count {key!r} ({number}) links to no list"
        if href.startswith("#"):
            assert number == rows(html, "data-record"), (url, key)
            checked += 1
            continue
        target = urljoin(url, href)
        length = listed(client, target)
        assert length == number, f"{url}: {key} says {number}, {target} lists {length}"
        checked += 1
        if depth and target not in seen:
            seen.add(target)
            checked += check_page(client, target, seen, depth - 1)
    return checked


@pytest.mark.parametrize("username", ROLES)
def test_every_count_on_the_home_page_is_the_length_of_its_list(client_as, mixed_events, username):
    client = client_as(username)
    checked = check_page(client, reverse("accounts:home"), set())
    assert checked, f"{username}'s home page shows no count"


@pytest.mark.parametrize("username", ("center", "leader", "dept-transport"))
def test_every_count_on_the_department_page_is_the_length_of_its_list(
    client_as, mixed_events, username
):
    transport = Department.objects.get(code=TRANSPORT)
    client = client_as(username)
    url = reverse("events:department", args=[transport.pk])
    checked = check_page(client, url, set(), depth=0)
    assert checked >= 2  # the records below, and the events overdue now


def test_the_department_counts_leave_out_what_is_no_longer_overdue(client_as, mixed_events):
    client = client_as("dept-transport")
    counts = {k: n for _h, k, n in linked_counts(client.get(reverse("accounts:home")).text)}
    # Overdue: dispatched, signed, on hold and the one housing assists (not the one resolved
    # late, nor housing's own). To sign for: two dispatched, the assisted one and the merge's
    # survivor. In hand: signed, in progress, on hold, suspended.
    assert counts["overdue"] == 4
    assert counts["to_sign"] == 4 and counts["in_hand"] == 4
    housing = {
        k: n
        for _h, k, n in linked_counts(client_as("dept-housing").get(reverse("accounts:home")).text)
        if k
    }
    assert housing["overdue"] == 1  # its own; assisting does not make it late


def test_the_overdue_board_total_and_groups_are_their_lists(client_as, mixed_events):
    client = client_as("center")
    url = reverse("events:overdue")
    response = client.get(url)
    assert response.context["total"].count == rows(response.content.decode()) == 5
    groups = [("department", g) for g in response.context["departments"]]
    groups += [("township", g) for g in response.context["townships"]]
    for param, group in groups:
        if group.key:
            listed = client.get(url, {param: group.key}).content.decode()
            assert rows(listed) == group.count, (param, group.name)


def test_a_department_without_events_says_so_on_the_home_page(client_as):
    content = client_as("dept-transport").get(reverse("accounts:home")).content.decode()
    assert 'id="department-events-empty"' in content
    event_in("dispatched")
    content = client_as("dept-transport").get(reverse("accounts:home")).content.decode()
    assert 'id="department-events-empty"' not in content


def test_a_resident_is_offered_no_verification_list_they_may_not_open(client_as):
    client = client_as("resident01")
    home = client.get(reverse("accounts:home")).content.decode()
    assert 'id="home-verify"' not in home
    assert client.get(reverse("events:verify_tasks")).status_code == 404
