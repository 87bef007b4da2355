"""The REST API under /api/v1/: one router for the viewsets, plain paths for the rest."""

from __future__ import annotations

from django.urls import path
from rest_framework.routers import DefaultRouter

from pingan.accounts.api import ApiTokenViewSet, DepartmentViewSet, MeView, TokenView
from pingan.events.api import CategoryViewSet, EventViewSet
from pingan.geo.api import GridViewSet, RegionViewSet
from pingan.people.api import (
    AddressViewSet,
    HouseholdGroupViewSet,
    HouseholdViewSet,
    HouseViewSet,
    OrganizationViewSet,
    ResidentViewSet,
)
from pingan.workflow.api import ReminderViewSet

router = DefaultRouter()
router.register("regions", RegionViewSet, basename="region")
router.register("grids", GridViewSet, basename="grid")
router.register("departments", DepartmentViewSet, basename="department")
router.register("events", EventViewSet, basename="event")
router.register("categories", CategoryViewSet, basename="category")
router.register("residents", ResidentViewSet, basename="resident")
router.register("households", HouseholdViewSet, basename="household")
router.register("household-groups", HouseholdGroupViewSet, basename="household-group")
router.register("houses", HouseViewSet, basename="house")
router.register("organizations", OrganizationViewSet, basename="organization")
router.register("addresses", AddressViewSet, basename="address")
router.register("reminders", ReminderViewSet, basename="reminder")
router.register("auth/tokens", ApiTokenViewSet, basename="own-token")

urlpatterns = [
    # The contract names the path without a trailing slash; accept both, document one.
    path("auth/token", TokenView.as_view(), name="api-token"),
    path("auth/token/", TokenView.as_view(schema=None), name="api-token-slash"),
    path("me/", MeView.as_view(), name="api-me"),
    *router.urls,
]
