"""REST API for regions and grids: lists, details, GeoJSON layers and locate(point).

Every queryset starts from ``visible_to(request.user)``: an object outside the caller's scope
answers 404, and lists and map layers only ever contain what the caller may see.
"""

from __future__ import annotations

from django.db.models import Count, F, IntegerField, OuterRef, Prefetch, Subquery
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
)
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.renderers import BrowsableAPIRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from pingan.core.api import FloatField, ModelSerializer
from pingan.geo.features import grid_features, region_features
from pingan.geo.filters import GridFilter, RegionFilter
from pingan.geo.locate import locate
from pingan.geo.models import Grid, GridMember, Region

GEOMETRY_SCHEMA = {
    "type": "object",
    "description": "A GeoJSON Polygon or MultiPolygon in WGS 84 longitude/latitude.",
    "properties": {
        "type": {"type": "string", "enum": ["Polygon", "MultiPolygon"]},
        "coordinates": {"type": "array", "items": {}},
    },
    "required": ["type", "coordinates"],
}


@extend_schema_field(GEOMETRY_SCHEMA)
class GeometryField(serializers.JSONField):
    """A GeoJSON geometry stored as a dict, documented as Polygon/MultiPolygon."""


class GeoJSONRenderer(JSONRenderer):
    """JSON served as ``application/geo+json`` when a client asks for it (Accept or ?format=)."""

    media_type = "application/geo+json"
    format = "geojson"


# JSON first, so browsers and plain clients get ordinary JSON unless they ask for geo+json.
GEOJSON_RENDERERS = [JSONRenderer, GeoJSONRenderer, BrowsableAPIRenderer]


def grid_page_url(pk: int) -> str:
    return reverse("geo:grid_detail", args=[pk])


def region_page_url(pk: int) -> str:
    return reverse("geo:region_detail", args=[pk])


def team_size() -> Coalesce:
    """Return an expression counting a grid's team members, without a GROUP BY on the grid."""
    members = (
        GridMember.objects.filter(grid=OuterRef("pk"))
        .order_by()
        .values("grid")
        .annotate(n=Count("pk"))
        .values("n")[:1]
    )
    return Coalesce(Subquery(members, output_field=IntegerField()), 0)


# --- serializers ---------------------------------------------------------------------------


class RegionRefSerializer(ModelSerializer):
    """A region named by id, code and name."""

    class Meta:
        model = Region
        fields = ["id", "code", "name"]


class RegionSerializer(ModelSerializer):
    level_display = serializers.CharField(source="get_level_display", read_only=True)
    parent = serializers.CharField(
        source="parent_code",
        read_only=True,
        allow_null=True,
        help_text=_("Code of the parent region (null for the top of the tree)."),
    )

    class Meta:
        model = Region
        fields = [
            "id",
            "code",
            "name",
            "level",
            "level_display",
            "parent",
            "path",
            "depth",
            "county_code",
        ]


class RegionDetailSerializer(RegionSerializer):
    boundary = GeometryField(read_only=True, allow_null=True)

    class Meta(RegionSerializer.Meta):
        fields = [*RegionSerializer.Meta.fields, "boundary"]


class GridMemberSerializer(ModelSerializer):
    role_display = serializers.CharField(source="get_role_display", read_only=True)

    class Meta:
        model = GridMember
        fields = ["name", "role", "role_display", "work_phone"]


class GridSerializer(ModelSerializer):
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)
    region = RegionRefSerializer(read_only=True)
    team_size = serializers.IntegerField(read_only=True)

    class Meta:
        model = Grid
        fields = [
            "id",
            "code",
            "name",
            "kind",
            "kind_display",
            "subkind",
            "region",
            "households",
            "is_active",
            "active_from",
            "active_until",
            "area_km2",
            "team_size",
        ]


class GridDetailSerializer(GridSerializer):
    geometry = GeometryField(read_only=True)
    team = GridMemberSerializer(source="members", many=True, read_only=True)

    class Meta(GridSerializer.Meta):
        fields = [*GridSerializer.Meta.fields, "description", "geometry", "team"]


# Documentation-only serializers: the GeoJSON actions build plain dicts in one query.


class TeamMemberRefSerializer(serializers.Serializer):
    name = serializers.CharField()
    role = serializers.ChoiceField(choices=GridMember.Role.choices)
    role_display = serializers.CharField()


class GridFeaturePropertiesSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    name = serializers.CharField()
    kind = serializers.ChoiceField(choices=Grid.Kind.choices)
    kind_display = serializers.CharField()
    subkind = serializers.CharField(
        help_text=_("School, hospital… for dedicated grids, else empty.")
    )
    households = serializers.IntegerField()
    region_name = serializers.CharField()
    village = serializers.CharField(help_text=_("Code of the village or township of the grid."))
    is_active = serializers.BooleanField()
    active_now = serializers.BooleanField(help_text=_("In use and in season today."))
    active_from = serializers.DateField(allow_null=True)
    active_until = serializers.DateField(allow_null=True)
    subkind_display = serializers.CharField()
    url = serializers.CharField(help_text=_("Path of the grid's page."))
    team_size = serializers.IntegerField()
    team = TeamMemberRefSerializer(many=True, help_text=_("Name and role of each member."))


class GridFeatureSerializer(serializers.Serializer):
    type = serializers.CharField(help_text=_('Always "Feature".'))
    id = serializers.IntegerField()
    geometry = GeometryField()
    properties = GridFeaturePropertiesSerializer()


class GridFeatureCollectionSerializer(serializers.Serializer):
    type = serializers.CharField(help_text=_('Always "FeatureCollection".'))
    features = GridFeatureSerializer(many=True)


class RegionFeaturePropertiesSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    name = serializers.CharField()
    level = serializers.ChoiceField(choices=Region.Level.choices)
    level_display = serializers.CharField()
    parent = serializers.CharField(allow_null=True)
    url = serializers.CharField(help_text=_("Path of the region's page."))


class RegionFeatureSerializer(serializers.Serializer):
    type = serializers.CharField(help_text=_('Always "Feature".'))
    id = serializers.IntegerField()
    geometry = GeometryField()
    properties = RegionFeaturePropertiesSerializer()


class RegionFeatureCollectionSerializer(serializers.Serializer):
    type = serializers.CharField(help_text=_('Always "FeatureCollection".'))
    features = RegionFeatureSerializer(many=True)


class LocateQuerySerializer(serializers.Serializer):
    """The point to locate, in WGS 84 degrees (DRF refuses NaN and infinity itself)."""

    lng = FloatField(min_value=-180, max_value=180, help_text=_("Longitude, −180…180 (WGS 84)."))
    lat = FloatField(min_value=-90, max_value=90, help_text=_("Latitude, −90…90 (WGS 84)."))


class LocatedGridSerializer(ModelSerializer):
    class Meta:
        model = Grid
        fields = ["id", "code", "name", "kind"]


class LocateResultSerializer(serializers.Serializer):
    lng = FloatField()
    lat = FloatField()
    located = serializers.BooleanField(
        help_text=_("Whether the point lies in a grid or near enough to a village.")
    )
    method = serializers.ChoiceField(
        choices=[("grid", _("Inside a grid")), ("nearest_village", _("Nearest village"))],
        allow_null=True,
    )
    distance_km = FloatField(
        allow_null=True, help_text=_("0 inside a grid; the distance to the nearest village.")
    )
    grid = LocatedGridSerializer(allow_null=True)
    region = RegionRefSerializer(allow_null=True)


class LocateErrorSerializer(serializers.Serializer):
    """Field name → list of messages (documentation only)."""

    lng = serializers.ListField(child=serializers.CharField(), required=False)
    lat = serializers.ListField(child=serializers.CharField(), required=False)


# --- views ---------------------------------------------------------------------------------

LEVEL_PARAMETER = OpenApiParameter(
    "level", OpenApiTypes.STR, enum=Region.Level.values, description=_("Only this level.")
)


@extend_schema_view(
    list=extend_schema(
        summary=_("List regions"),
        description=_("Regions of the jurisdiction tree that you may see, ordered by path."),
    ),
    retrieve=extend_schema(
        summary=_("Get a region"),
        description=_("One region with its boundary. Regions outside your scope answer 404."),
    ),
)
class RegionViewSet(viewsets.ReadOnlyModelViewSet):
    """Regions (行政区划) visible to the caller."""

    queryset = Region.objects.none()  # the real one is scoped per request in get_queryset()
    filterset_class = RegionFilter
    lookup_value_regex = r"\d+"

    def get_queryset(self):
        queryset = Region.objects.visible_to(self.request.user).annotate(
            parent_code=F("parent__code")
        )
        if self.action == "list":
            # Boundaries are large; the list never shows them.
            queryset = queryset.defer("boundary")
        return queryset

    def get_serializer_class(self):
        if self.action == "retrieve":
            return RegionDetailSerializer
        return RegionSerializer

    @extend_schema(
        summary=_("Region boundaries as GeoJSON"),
        description=_(
            "A GeoJSON FeatureCollection of the visible regions that have a boundary, for "
            "drawing them on a map. Takes the list filters (e.g. ?level=township); not paginated."
        ),
        filters=True,
        responses={200: RegionFeatureCollectionSerializer},
    )
    @action(
        detail=False,
        url_path="geojson",
        pagination_class=None,
        renderer_classes=GEOJSON_RENDERERS,
    )
    def geojson(self, request: Request) -> Response:
        features = region_features(self.filter_queryset(self.get_queryset()))
        return Response({"type": "FeatureCollection", "features": features})


LOCATE_DESCRIPTION = _(
    "Find the grid that contains a point (overlay grids such as schools or seasonal grids win "
    "over the rural/community grid under them). When no grid contains it, the nearest village "
    "within a few kilometres is returned with method `nearest_village`.\n\n"
    "Any signed-in user may call this lookup, but it never discloses what lies outside the "
    "caller's scope: when the grid (or, without a grid, the village) found is not visible to "
    "you, the answer is the same as for a point outside every grid (`located` false). "
    "`region` is null when the village is not visible to you.\n\n"
    "Coordinates that are missing, not numbers or out of range answer 400 with field errors."
)


@extend_schema_view(
    list=extend_schema(
        summary=_("List grids"),
        description=_(
            "Grids that you may see, ordered by code, with their region and team size. "
            "Filter with q (name or code), kind, subkind, region (code, includes sub-regions) "
            "and is_active."
        ),
    ),
    retrieve=extend_schema(
        summary=_("Get a grid"),
        description=_("One grid with its geometry and team. Grids outside your scope answer 404."),
    ),
)
class GridViewSet(viewsets.ReadOnlyModelViewSet):
    """Grids (网格) visible to the caller."""

    queryset = Grid.objects.none()  # the real one is scoped per request in get_queryset()
    filterset_class = GridFilter
    lookup_value_regex = r"\d+"

    def get_queryset(self):
        queryset = (
            Grid.objects.visible_to(self.request.user)
            .select_related("region")
            .defer("region__boundary")
            .annotate(team_size=team_size())
        )
        if self.action == "retrieve":
            return queryset.prefetch_related(
                Prefetch("members", queryset=GridMember.objects.order_by("sort_order", "id"))
            )
        # Geometries are large; lists never show them.
        return queryset.defer("geometry", "description")

    def get_serializer_class(self):
        if self.action == "retrieve":
            return GridDetailSerializer
        return GridSerializer

    @extend_schema(
        summary=_("Grids as GeoJSON"),
        description=_(
            "A GeoJSON FeatureCollection of the visible grids, for the map. Takes the same "
            "filters as the list; not paginated. Ask for `application/geo+json` (Accept header "
            "or ?format=geojson) to get that content type; plain JSON otherwise."
        ),
        filters=True,
        responses={200: GridFeatureCollectionSerializer},
    )
    @action(
        detail=False,
        url_path="geojson",
        pagination_class=None,
        renderer_classes=GEOJSON_RENDERERS,
    )
    def geojson(self, request: Request) -> Response:
        features = grid_features(self.filter_queryset(Grid.objects.visible_to(request.user)))
        return Response({"type": "FeatureCollection", "features": features})

    @extend_schema(
        summary=_("Locate a point"),
        description=LOCATE_DESCRIPTION,
        parameters=[LocateQuerySerializer],
        filters=False,
        responses={
            200: LocateResultSerializer,
            400: OpenApiResponse(LocateErrorSerializer, description=_("Bad coordinates.")),
        },
        examples=[
            OpenApiExample(
                "Inside a grid",
                response_only=True,
                status_codes=["200"],
                value={
                    "lng": 102.5123,
                    "lat": 30.0456,
                    "located": True,
                    "method": "grid",
                    "distance_km": 0.0,
                    "grid": {
                        "id": 12,
                        "code": "513999001001001",
                        "name": "城关社区第一网格",
                        "kind": "community",
                    },
                    "region": {"id": 10, "code": "513999001001", "name": "城关社区"},
                },
            ),
            OpenApiExample(
                "Outside every grid",
                response_only=True,
                status_codes=["200"],
                value={
                    "lng": 80.0,
                    "lat": 40.0,
                    "located": False,
                    "method": None,
                    "distance_km": None,
                    "grid": None,
                    "region": None,
                },
            ),
            OpenApiExample(
                "Not a number",
                response_only=True,
                status_codes=["400"],
                value={"lng": ["A valid number is required."]},
            ),
        ],
    )
    @action(detail=False, url_path="locate", pagination_class=None, filter_backends=[])
    def locate(self, request: Request) -> Response:
        query = LocateQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        lng, lat = query.validated_data["lng"], query.validated_data["lat"]
        found = locate(lng, lat)
        grid = region = None
        if found is not None:
            if found.grid_id is not None:
                grid = (
                    Grid.objects.visible_to(request.user)
                    .filter(pk=found.grid_id)
                    .values("id", "code", "name", "kind")
                    .first()
                )
            region = (
                Region.objects.visible_to(request.user)
                .filter(pk=found.region_id)
                .values("id", "code", "name")
                .first()
            )
        # A grid or village outside the caller's scope is answered as "not located": saying
        # "covered, but not yours" would map other grids' extents for anyone who asks.
        if found is not None and (grid is None if found.grid_id is not None else region is None):
            found = region = None
        return Response(
            {
                "lng": lng,
                "lat": lat,
                "located": found is not None,
                "method": found.method if found else None,
                "distance_km": found.distance_km if found else None,
                "grid": grid,
                "region": region,
            }
        )
