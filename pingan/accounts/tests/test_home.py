"""The home page shows each role its own work: figures, grids, department, area, or nothing."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.models import Sum
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from pingan.accounts.models import Membership, Role
from pingan.geo.models import Grid, GridMember, Region

pytestmark = pytest.mark.django_db


def home(client):
    response = client.get(reverse("accounts:home"))
    assert response.status_code == 200
    return response


def grid_of(username: str) -> Grid:
    return Membership.objects.get(user__username=username, grid__isnull=False).grid


def test_home_needs_a_signed_in_user(client):
    response = client.get(reverse("accounts:home"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_centre_home_shows_the_county_figures(client_as):
    response = home(client_as("center"))
    figures = response.context["figures"]
    assert figures["grids"] == Grid.objects.count()
    assert figures["townships"] == Region.objects.filter(level="township").count()
    assert figures["villages"] == Region.objects.filter(level="village").count()
    assert figures["households"] == Grid.objects.aggregate(n=Sum("households"))["n"]
    assert figures["team_members"] == GridMember.objects.count()
    assert dict(figures["grids_by_kind"])  # every kind listed, with counts
    assert sum(n for _label, n in figures["grids_by_kind"]) == Grid.objects.count()
    content = response.content.decode()
    assert f'id="fig-grids">{Grid.objects.count()}<' in content
    assert 'id="township-table"' in content


def test_centre_home_lists_every_township_with_its_grids_and_households(client_as):
    rows = home(client_as("center")).context["townships"]
    townships = Region.objects.filter(level="township")
    assert [t.code for t in rows] == list(townships.order_by("path").values_list("code", flat=True))
    for row in rows:
        below = Grid.objects.filter(path__startswith=row.path)
        assert row.grid_count == below.count()
        assert row.household_count == (below.aggregate(n=Sum("households"))["n"] or 0)
    assert sum(row.grid_count for row in rows) == Grid.objects.count()


def test_township_centre_sees_only_its_township_figures(client_as):
    response = home(client_as("town01"))
    township = Region.objects.get(code="513999001")
    assert response.context["figures"]["grids"] == Grid.objects.in_region(township).count()
    assert [t.code for t in response.context["townships"]] == ["513999001"]


def test_home_queries_do_not_grow_with_the_number_of_townships(client_as, client):
    # Each client's first page also signs in and loads the per-process table caches.
    center = client_as("center")
    home(center)
    with CaptureQueriesContext(connection) as county:
        home(center)
    client.logout()
    town01 = client_as("town01")
    home(town01)
    with CaptureQueriesContext(connection) as township:
        home(town01)
    assert len(county) == len(township)


def test_leader_and_superuser_see_figures(client_as):
    assert home(client_as("leader")).context["figures"]["grids"] == Grid.objects.count()
    assert home(client_as("admin")).context["figures"]["grids"] == Grid.objects.count()


def test_grid_worker_sees_their_grid_and_not_another_workers_grid(client_as):
    mine, other = grid_of("grid01"), grid_of("grid02")
    response = home(client_as("grid01"))
    assert [g.pk for g in response.context["my_grids"]] == [mine.pk]
    content = response.content.decode()
    assert mine.name in content
    assert other.name not in content
    assert "figures" not in response.context


def test_grid_worker_sees_the_team_with_work_phones(client_as):
    grid = grid_of("grid01")
    content = home(client_as("grid01")).content.decode()
    for member in grid.members.all():
        assert member.name in content
        if member.work_phone:
            assert f'href="tel:{member.work_phone}"' in content


def test_grid_police_sees_the_grid_they_serve(client_as):
    response = home(client_as("police01"))
    assert [g.pk for g in response.context["my_grids"]] == [grid_of("police01").pk]


def test_grid_card_links_to_the_grid_page(client_as):
    grid = grid_of("grid01")
    content = home(client_as("grid01")).content.decode()
    assert f'href="{grid.get_absolute_url()}"' in content


def test_department_handler_sees_the_department_and_no_grids(client_as):
    response = home(client_as("dept-transport"))
    department = Membership.objects.get(
        user__username="dept-transport", role=Role.DEPARTMENT_HANDLER
    ).department
    assert response.context["departments"] == [department]
    content = response.content.decode()
    assert department.name in content
    assert 'id="department-events-empty"' in content
    assert "my_grids" not in response.context
    assert 'class="card h-100 grid-card"' not in content
    assert "figures" not in response.context


def test_mediator_sees_their_area_and_an_empty_dispute_list(client_as):
    response = home(client_as("mediator01"))
    region = Membership.objects.get(user__username="mediator01", role=Role.MEDIATOR).region
    assert response.context["mediator_regions"] == [region]
    assert 'id="disputes-empty"' in response.content.decode()


def test_resident_sees_their_grid_workers(client_as):
    grid = grid_of("resident01")
    response = home(client_as("resident01"))
    assert [g.pk for g in response.context["home_grids"]] == [grid.pk]
    content = response.content.decode()
    assert 'id="home-grid"' in content
    assert "figures" not in response.context
    for member in grid.members.all():
        assert member.name in content


def test_user_without_a_role_sees_the_empty_state(client, django_user_model):
    loner = django_user_model.objects.create_user("loner", password="x-long-password")
    client.force_login(loner)
    response = home(client)
    assert response.context["no_role"]
    content = response.content.decode()
    assert 'id="no-role"' in content
    assert 'id="figures"' not in content
