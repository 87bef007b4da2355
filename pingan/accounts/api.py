"""REST API for signing in (token), the caller's own profile and scope, and departments."""

from __future__ import annotations

import django_filters
from django.contrib.auth import authenticate, user_logged_in
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from pingan.accounts.lockout import sign_in_despite_lock
from pingan.accounts.models import ApiToken, Department, Membership, Role
from pingan.accounts.scope import scope_for
from pingan.accounts.tokens import issue_token, revoke_all_tokens, revoke_token
from pingan.geo.api import RegionRefSerializer
from pingan.geo.models import Grid


class TokenScheme(OpenApiAuthenticationExtension):
    """Document ``pingan.accounts.authentication.TokenAuthentication`` in the schema."""

    target_class = "pingan.accounts.authentication.TokenAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": (
                "`Authorization: Token <token>`, the token from POST /api/v1/auth/token; "
                "it expires after PINGAN_TOKEN_DAYS days."
            ),
        }


# --- token ---------------------------------------------------------------------------------


class TokenCredentialsSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(
        max_length=128, trim_whitespace=False, style={"input_type": "password"}, write_only=True
    )
    otp_token = serializers.CharField(
        max_length=16,
        required=False,
        allow_blank=True,
        help_text=_("The 6-digit code of the user's authenticator app, if they enrolled one."),
    )


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField(
        help_text=_("Send it as `Authorization: Token <token>` on every request.")
    )
    expires_at = serializers.DateTimeField(
        help_text=_("When the token stops working; then ask for a new one.")
    )


class LockedOutSerializer(serializers.Serializer):
    detail = serializers.CharField()


BAD_CREDENTIALS = _("Unable to sign in with the given username and password.")
OTP_REQUIRED = _("Enter the 6-digit code from your authenticator app.")
OTP_WRONG = _("The code is wrong or has expired.")
OTP_ENROL_FIRST = _(
    "Two-factor login is required for your role: enrol an authenticator app on the web "
    "(two-factor login page) before asking for an API token."
)
LOCKED_OUT = _(
    "Too many failed sign-in attempts: signing in is locked for a while. "
    "Try again later, or ask an administrator to unlock the account."
)


class TokenView(APIView):
    """Exchange a username and password for an API token."""

    # No authentication: a stale session must not make this endpoint demand a CSRF token.
    authentication_classes: list = []
    permission_classes = [AllowAny]

    @extend_schema(
        summary=_("Get an API token"),
        description=_(
            "Exchange a username and password for a new API token. Send it as "
            "`Authorization: Token <token>`. It works until `expires_at` (a few days), until "
            "its owner revokes it (`/api/v1/auth/tokens/`), changes the password or is "
            "deactivated.\n\n"
            "Users who enrolled two-factor login also send `otp_token`; when two-factor login "
            "is mandatory for the user's role and they have not enrolled, the answer is 403.\n\n"
            "A wrong username or password answers 400. Repeated failures lock sign-in for "
            "that username from that address, and many failures from one address lock the "
            "address, for a fixed while: the lock answers 429. Users with two-factor login "
            "get past a lock with the right password and `otp_token`."
        ),
        request=TokenCredentialsSerializer,
        responses={
            200: TokenSerializer,
            # The shared field-error shape (pingan/core/openapi.py): a missing field is named.
            400: OpenApiResponse(description=_("Wrong credentials.")),
            403: OpenApiResponse(
                LockedOutSerializer, description=_("Two-factor enrolment required.")
            ),
            429: OpenApiResponse(LockedOutSerializer, description=_("Locked out.")),
        },
        examples=[
            OpenApiExample(
                "Sign in",
                request_only=True,
                value={"username": "center", "password": "pingan-demo"},
            ),
            OpenApiExample(
                "Token",
                response_only=True,
                status_codes=["200"],
                value={
                    "token": "9944b09199c62bcf9418ad846dd0e4bbdfc6ee4b",
                    "expires_at": "2026-12-11T08:00:00+08:00",
                },
            ),
            OpenApiExample(
                "Wrong password",
                response_only=True,
                status_codes=["400"],
                value={"non_field_errors": [str(BAD_CREDENTIALS)]},
            ),
        ],
        auth=[],
    )
    def post(self, request: Request) -> Response:
        form = TokenCredentialsSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        username = form.validated_data["username"]
        # Passing the request lets django-axes count failures and refuse locked-out clients.
        user = authenticate(
            request=request, username=username, password=form.validated_data["password"]
        )
        passed_lock = False
        if user is None and getattr(request, "axes_locked_out", False):
            # The owner gets past a lock with the password and their authenticator's code.
            user = sign_in_despite_lock(
                request,
                username,
                form.validated_data["password"],
                form.validated_data.get("otp_token", ""),
            )
            if user is None:
                return Response({"detail": LOCKED_OUT}, status=status.HTTP_429_TOO_MANY_REQUESTS)
            passed_lock = True
            request.axes_locked_out = False
            request._request.axes_locked_out = False
        if user is None:
            raise serializers.ValidationError(
                {"non_field_errors": [BAD_CREDENTIALS]}, code="authorization"
            )
        # The API must not be a way around two-factor login.
        from pingan.accounts.middleware import needs_two_factor
        from pingan.accounts.views import confirmed_device

        device = confirmed_device(user)
        if passed_lock:
            pass  # the code was checked (and used up) on the way past the lock
        elif device is not None:
            code = form.validated_data.get("otp_token", "").strip()
            if not code:
                raise serializers.ValidationError({"otp_token": [OTP_REQUIRED]})
            if not device.verify_token(code):
                raise serializers.ValidationError({"otp_token": [OTP_WRONG]})
        elif needs_two_factor(user):
            return Response({"detail": OTP_ENROL_FIRST}, status=status.HTTP_403_FORBIDDEN)
        # A token sign-in is a sign-in: last_login is updated and axes forgets the failures.
        user_logged_in.send(sender=user.__class__, request=request, user=user)
        token, key = issue_token(user, request=request)
        return Response({"token": key, "expires_at": token.expires_at})


# --- the caller's own tokens ------------------------------------------------------------------


class ApiTokenSerializer(serializers.ModelSerializer):
    current = serializers.SerializerMethodField(
        help_text=_("True for the token this request was sent with.")
    )

    class Meta:
        model = ApiToken
        fields = ["id", "prefix", "created_at", "last_used_at", "expires_at", "client", "current"]
        read_only_fields = fields

    def get_current(self, token: ApiToken) -> bool:
        auth = self.context["request"].auth
        return isinstance(auth, ApiToken) and auth.pk == token.pk


class RevokedSerializer(serializers.Serializer):
    revoked = serializers.IntegerField(help_text=_("How many tokens were revoked."))


@extend_schema_view(
    list=extend_schema(
        summary=_("List my API tokens"),
        description=_(
            "Your own live tokens: when each was issued, last used and expires. The keys "
            "themselves are not stored, only their first characters (`prefix`)."
        ),
    ),
    destroy=extend_schema(
        summary=_("Revoke one of my API tokens"),
        description=_("It stops working at once. Tokens of other users answer 404."),
    ),
)
class ApiTokenViewSet(mixins.ListModelMixin, mixins.DestroyModelMixin, viewsets.GenericViewSet):
    """The caller's own API tokens: see them, revoke one, revoke all."""

    queryset = ApiToken.objects.none()  # the real one is the caller's own
    serializer_class = ApiTokenSerializer
    lookup_value_regex = r"\d+"
    pagination_class = None

    def get_queryset(self):
        return ApiToken.objects.live().filter(user=self.request.user)

    def perform_destroy(self, instance: ApiToken) -> None:
        revoke_token(instance)

    @extend_schema(
        summary=_("Revoke all my API tokens"),
        description=_("Every token of yours stops working, the one of this request included."),
        request=None,
        responses={200: RevokedSerializer},
    )
    @action(detail=False, methods=["post"], url_path="revoke-all")
    def revoke_all(self, request: Request) -> Response:
        return Response({"revoked": revoke_all_tokens(request.user)})


# --- me ------------------------------------------------------------------------------------


class UnitSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    name = serializers.CharField()


class MembershipSerializer(serializers.Serializer):
    role = serializers.ChoiceField(choices=Role.choices)
    role_display = serializers.CharField()
    unit_type = serializers.ChoiceField(
        choices=[("region", _("Region")), ("grid", _("Grid")), ("department", _("Department"))]
    )
    unit = UnitSerializer()


class ScopeSerializer(serializers.Serializer):
    everything = serializers.BooleanField(help_text=_("True for superusers: no restriction."))
    regions = serializers.ListField(
        child=serializers.CharField(), help_text=_("Codes of the regions whose subtree you see.")
    )
    grids = serializers.ListField(
        child=serializers.CharField(), help_text=_("Codes of the grids you work in or live in.")
    )
    departments = serializers.ListField(
        child=serializers.CharField(), help_text=_("Codes of your departments.")
    )
    roles = serializers.ListField(child=serializers.CharField())


class MeSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    full_name = serializers.CharField()
    is_superuser = serializers.BooleanField()
    memberships = MembershipSerializer(many=True)
    scope = ScopeSerializer()


def _membership(m: Membership) -> dict:
    for unit_type in ("region", "grid", "department"):
        unit = getattr(m, unit_type)
        if unit is not None:
            break
    return {
        "role": m.role,
        "role_display": m.get_role_display(),
        "unit_type": unit_type,
        "unit": {"id": unit.pk, "code": unit.code, "name": unit.name},
    }


def me_data(user) -> dict:
    """Return the caller's profile, role memberships and scope as plain data."""
    memberships = (
        Membership.objects.filter(user=user)
        .select_related("region", "grid", "department")
        .defer("region__boundary", "grid__geometry")
        .order_by("role", "id")
    )
    scope = scope_for(user)
    return {
        "id": user.pk,
        "username": user.get_username(),
        "full_name": user.full_name,
        "is_superuser": user.is_superuser,
        "memberships": [_membership(m) for m in memberships],
        "scope": {
            "everything": scope.everything,
            # A path "/513999/513999001/" ends with the region's own code.
            "regions": [path.rstrip("/").rsplit("/", 1)[-1] for path in scope.region_paths],
            "grids": sorted(
                Grid.objects.filter(pk__in=scope.grid_ids).values_list("code", flat=True)
            )
            if scope.grid_ids
            else [],
            "departments": sorted(
                Department.objects.filter(pk__in=scope.department_ids).values_list(
                    "code", flat=True
                )
            )
            if scope.department_ids
            else [],
            "roles": sorted(scope.roles),
        },
    }


class MeView(APIView):
    """The signed-in user, their role memberships and what they may see."""

    @extend_schema(
        summary=_("Who am I"),
        description=_(
            "The signed-in user, the roles they hold on which region, grid or department, "
            "and the resulting scope: every list in the API is limited to it."
        ),
        responses={200: MeSerializer},
    )
    def get(self, request: Request) -> Response:
        return Response(MeSerializer(me_data(request.user)).data)


# --- departments ---------------------------------------------------------------------------


class DepartmentFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label=_("Search (name or code)"))
    kind = django_filters.ChoiceFilter(choices=Department.Kind.choices, label=_("Kind"))
    region = django_filters.CharFilter(method="filter_region", label=_("Region (code)"))
    is_active = django_filters.BooleanFilter(label=_("Active"))

    class Meta:
        model = Department
        fields = ["q", "kind", "region", "is_active"]

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(name__icontains=value) | Q(short_name__icontains=value) | Q(code__startswith=value)
        )

    def filter_region(self, queryset, name, value):
        """Departments of the region with this code or of any region under it."""
        return queryset.filter(region__path__contains=f"/{value.strip()}/")


class DepartmentSerializer(serializers.ModelSerializer):
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)
    region = RegionRefSerializer(read_only=True)
    parent = serializers.CharField(
        source="parent_code",
        read_only=True,
        allow_null=True,
        help_text=_("Code of the parent department, if any."),
    )

    class Meta:
        model = Department
        fields = [
            "id",
            "code",
            "name",
            "short_name",
            "kind",
            "kind_display",
            "region",
            "parent",
            "phone",
            "is_active",
        ]


@extend_schema_view(
    list=extend_schema(
        summary=_("List departments"),
        description=_("Functional departments you may see: those of your regions, and your own."),
    ),
    retrieve=extend_schema(
        summary=_("Get a department"),
        description=_("Departments outside your scope answer 404."),
    ),
)
class DepartmentViewSet(viewsets.ReadOnlyModelViewSet):
    """Functional departments (职能部门) visible to the caller."""

    queryset = Department.objects.none()  # the real one is scoped per request
    serializer_class = DepartmentSerializer
    filterset_class = DepartmentFilter
    lookup_value_regex = r"\d+"

    def get_queryset(self):
        return (
            Department.objects.visible_to(self.request.user)
            .select_related("region")
            .defer("region__boundary")
            .annotate(parent_code=F("parent__code"))
        )
