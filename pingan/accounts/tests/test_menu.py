"""The main menu of each role, on the desk and on the phone: exactly the pages it works with."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

HOME, WORKBENCH, INBOX, OVERDUE, VERIFY = "home", "workbench", "inbox", "overdue", "verify"
MINE, PEOPLE, MAP, GRIDS, REGIONS, REMINDERS = (
    "mine",
    "people",
    "map",
    "grids",
    "regions",
    "reminders",
)

# username: (desk menu, phone menu), in menu order.
MENUS = {
    "center": (
        [HOME, WORKBENCH, OVERDUE, MINE, PEOPLE, MAP, GRIDS, REGIONS, REMINDERS],
        [HOME, WORKBENCH, OVERDUE, MINE, PEOPLE, MAP, GRIDS, REMINDERS],
    ),
    "grid01": (
        [HOME, WORKBENCH, VERIFY, MINE, PEOPLE, MAP, GRIDS, REMINDERS],
        [HOME, VERIFY, MINE, PEOPLE, MAP, GRIDS, REMINDERS],
    ),
    "dept-transport": (
        [HOME, WORKBENCH, INBOX, REMINDERS],
        [HOME, INBOX, REMINDERS],
    ),
    "leader": (
        [HOME, WORKBENCH, OVERDUE, MAP, GRIDS, REGIONS, REMINDERS],
        [HOME, WORKBENCH, OVERDUE, MAP, GRIDS, REMINDERS],
    ),
    "resident01": ([HOME, MINE], [HOME, MINE]),
}


def menu(html: str) -> tuple[list[str], list[str]]:
    """Return the entries of the main menu a wide screen and a phone show, from the page."""
    main = html[html.index('id="nav-main"') :]
    main = main[: main.index("</ul>")]
    desk, phone = [], []
    for classes, key in re.findall(
        r'<li class="nav-item ?([^"]*)"><a [^>]*id="nav-([\w-]+)"', main
    ):
        if "d-lg-none" not in classes:
            desk.append(key)
        if "d-none" not in classes.split():
            phone.append(key)
    return desk, phone


@pytest.mark.parametrize("username", MENUS)
def test_each_role_has_its_own_desk_and_phone_menu(client_as, username):
    html = client_as(username).get(reverse("notify:inbox")).content.decode()

    assert menu(html) == MENUS[username]


@pytest.mark.parametrize("username", MENUS)
def test_every_entry_of_a_menu_opens_for_that_role(client_as, username):
    client = client_as(username)
    desk, phone = MENUS[username]
    for key in dict.fromkeys(desk + phone):
        href = re.search(
            rf'id="nav-{key}" href="([^"]+)"', client.get(reverse("accounts:home")).content.decode()
        )[1]
        assert client.get(href).status_code == 200, (username, key, href)


def test_a_grid_worker_finds_the_verification_tasks_on_the_phone(client_as):
    html = client_as("grid01").get(reverse("accounts:home")).content.decode()

    _desk, phone = menu(html)
    assert VERIFY in phone and REGIONS not in phone and WORKBENCH not in phone
    assert f'id="nav-verify" href="{reverse("events:verify_tasks")}">核查任务' in html


def test_the_current_page_is_marked_in_the_menu(client_as):
    html = client_as("grid01").get(reverse("events:verify_tasks")).content.decode()

    assert re.search(r'class="nav-link active" id="nav-verify"[^>]*aria-current="page"', html)
