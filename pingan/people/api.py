"""REST API of basic data (一标三实): residents, households, houses, organisations, addresses,
联户 groups.

Reads go through ``visible_to(request.user)`` (outside the caller's scope: 404). Numbers go out
masked; the plain value only through ``reveal`` (permission, reason, logged). Every look at a
resident's detail is logged (``services.log_access``, via "api").
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Prefetch
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from pingan.people import duplicates, services
from pingan.people.filters import HouseholdGroupFilter, ResidentFilter, may_collect
from pingan.people.models import (
    Address,
    House,
    Household,
    HouseholdGroup,
    HouseholdMember,
    Organization,
    Resident,
)
from pingan.people.serializers import (
    RESIDENT_FIELDS,
    AddressSerializer,
    HouseholdGroupSerializer,
    HouseholdSerializer,
    HouseSerializer,
    OrganizationSerializer,
    ResidentSerializer,
    RevealResultSerializer,
    RevealSerializer,
    SubmittedForCheckSerializer,
)


class CollectorsWrite(permissions.BasePermission):
    """Anyone signed in reads (within scope); centre and grid staff write."""

    def has_permission(self, request, view) -> bool:
        if not (request.user and request.user.is_authenticated):
            return False
        if request.method in permissions.SAFE_METHODS or getattr(view, "action", "") == "reveal":
            return True
        return may_collect(request.user)


SUBMITTED_DESCRIPTION = _(
    "An ID number kept in your own scope answers 400 naming the record. One kept outside "
    "your scope answers 202 `submitted_for_check`: nothing is saved as a resident yet, the "
    "county centre checks the number and moves the kept record to your grid or dismisses."
)


def _submitted() -> Response:
    return Response(
        {"detail": str(duplicates.SUBMITTED), "status": "submitted_for_check"},
        status=status.HTTP_202_ACCEPTED,
    )


@extend_schema_view(
    list=extend_schema(
        summary=_("List residents"),
        description=_(
            "The residents you may see, numbers masked. `q` searches the name, the last four "
            "characters of the ID number, the address and the household number; filter by "
            "`grid` (code), `residence_type`, `status`, and `unverified=true` (not verified "
            "within PINGAN_VERIFY_AFTER_DAYS days, or never)."
        ),
    ),
    retrieve=extend_schema(
        summary=_("Get a resident"),
        description=_("One resident, numbers masked; the look is logged. Outside scope: 404."),
    ),
    create=extend_schema(
        summary=_("Add a resident"),
        description=format_lazy(
            "{}\n\n{}",
            _(
                "Centre and grid staff: `id_number` (required) and `phone` are write-only and "
                "checked; bad values answer 400 by field."
            ),
            SUBMITTED_DESCRIPTION,
        ),
        responses={201: ResidentSerializer, 202: SubmittedForCheckSerializer},
    ),
    update=extend_schema(
        summary=_("Change a resident"),
        responses={200: ResidentSerializer, 202: SubmittedForCheckSerializer},
    ),
    partial_update=extend_schema(
        summary=_("Change some fields of a resident"),
        responses={200: ResidentSerializer, 202: SubmittedForCheckSerializer},
    ),
)
class ResidentViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Residents (实有人口) visible to the caller."""

    queryset = Resident.objects.none()
    serializer_class = ResidentSerializer
    filterset_class = ResidentFilter
    permission_classes = [CollectorsWrite]
    lookup_value_regex = r"\d+"

    def get_queryset(self):
        return (
            Resident.objects.visible_to(self.request.user)
            .select_related("grid", "address")
            .defer("grid__geometry", "grid__description")
        )

    def create(self, request: Request, *args, **kwargs) -> Response:
        try:
            return super().create(request, *args, **kwargs)
        except duplicates.SubmittedForCheck:
            return _submitted()

    def update(self, request: Request, *args, **kwargs) -> Response:
        try:
            return super().update(request, *args, **kwargs)
        except duplicates.SubmittedForCheck:
            return _submitted()

    def retrieve(self, request: Request, *args, **kwargs) -> Response:
        resident = self.get_object()
        services.log_access(request.user, resident, via="api", fields=RESIDENT_FIELDS)
        return Response(self.get_serializer(resident).data)

    @extend_schema(
        summary=_("Reveal a number"),
        description=_(
            "Return the plain `id_number` or `phone` once, with a `reason` (logged). Needs the "
            "permission to reveal personal data (403), a reason (400)."
        ),
        request=RevealSerializer,
        responses={
            200: RevealResultSerializer,
            400: OpenApiResponse(description=_("No reason, or an unknown field.")),
            403: OpenApiResponse(description=_("Not allowed to reveal numbers.")),
        },
    )
    @action(detail=True, methods=["post"], filter_backends=[])
    def reveal(self, request: Request, pk=None) -> Response:
        resident = self.get_object()
        form = RevealSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        field = form.validated_data["field"]
        try:
            value = services.reveal(
                resident, field, acting_user=request.user, reason=form.validated_data["reason"]
            )
        except DjangoPermissionDenied as error:
            raise PermissionDenied(str(error)) from error
        except DjangoValidationError as error:
            raise ValidationError(error.message_dict) from error
        return Response({"field": field, "value": value})


class ScopedReadViewSet(viewsets.ReadOnlyModelViewSet):
    lookup_value_regex = r"\d+"
    model = None
    related: tuple[str, ...] = ("grid", "address")

    def get_queryset(self):
        return (
            self.model.objects.visible_to(self.request.user)
            .select_related(*self.related)
            .defer("grid__geometry", "grid__description")
        )


@extend_schema_view(
    list=extend_schema(
        summary=_("List households"),
        description=_(
            "The households you may see, each with its members (masked numbers) and their "
            "relation to the head."
        ),
    ),
    retrieve=extend_schema(summary=_("Get a household with its members")),
)
class HouseholdViewSet(ScopedReadViewSet):
    """Households (户) with their members and relations to the head."""

    queryset = Household.objects.none()
    serializer_class = HouseholdSerializer
    model = Household

    def get_queryset(self):
        return (
            super()
            .get_queryset()
            .prefetch_related(
                Prefetch(
                    "memberships",
                    queryset=HouseholdMember.objects.select_related("resident"),
                )
            )
        )


@extend_schema_view(
    list=extend_schema(summary=_("List houses")),
    retrieve=extend_schema(summary=_("Get a house")),
)
class HouseViewSet(ScopedReadViewSet):
    """Actual houses (实有房屋)."""

    queryset = House.objects.none()
    serializer_class = HouseSerializer
    model = House


@extend_schema_view(
    list=extend_schema(summary=_("List organisations")),
    retrieve=extend_schema(summary=_("Get an organisation")),
)
class OrganizationViewSet(ScopedReadViewSet):
    """Actual organisations (实有单位)."""

    queryset = Organization.objects.none()
    serializer_class = OrganizationSerializer
    model = Organization


@extend_schema_view(
    list=extend_schema(summary=_("List standard addresses")),
    retrieve=extend_schema(summary=_("Get a standard address")),
)
class AddressViewSet(ScopedReadViewSet):
    """Standard addresses (标准地址)."""

    queryset = Address.objects.none()
    serializer_class = AddressSerializer
    model = Address
    related = ("grid",)


@extend_schema_view(
    list=extend_schema(
        summary=_("List 联户 groups"),
        description=_(
            "The 联户 groups (十户联防 households, 十铺 shops, 十车 vehicles) you may see, with "
            "their head (numbers masked), member households and shops, and vehicles. `q` searches "
            "the group's name and the head's name; filter by `grid` (code) and `kind`."
        ),
    ),
    retrieve=extend_schema(
        summary=_("Get a 联户 group"),
        description=_("One 联户 group with its head and members. Outside scope: 404."),
    ),
)
class HouseholdGroupViewSet(ScopedReadViewSet):
    """联户 groups with their head (联户长) and members."""

    queryset = HouseholdGroup.objects.none()
    serializer_class = HouseholdGroupSerializer
    filterset_class = HouseholdGroupFilter
    model = HouseholdGroup
    related = ("grid", "head")

    def get_queryset(self):
        return (
            super()
            .get_queryset()
            .prefetch_related(
                Prefetch("households", queryset=Household.objects.only("id", "number")),
                Prefetch(
                    "organizations",
                    queryset=Organization.objects.only("id", "name", "credit_code"),
                ),
            )
        )
