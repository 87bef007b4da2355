"""REST API of the event closed loop: report, list, detail, one move at a time; categories.

Reads go through ``Event.objects.visible_to(request.user)`` (an event outside the caller's
scope answers 404, also for moves); every change goes through ``pingan.events.services``.
An illegal move answers 409 with the moves allowed now, a move the caller's part never allows
403 (``pingan.core.api``).
"""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet
from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response

from pingan.events import queries, services
from pingan.events.filters import EventFilter
from pingan.events.models import Category, Event, EventLog, Message
from pingan.events.serializers import (
    LIST_RELATED,
    ActionSerializer,
    CategorySerializer,
    ConflictSerializer,
    EventListSerializer,
    EventSerializer,
    OneKeyCallSerializer,
    ReportSerializer,
)
from pingan.geo.models import Region


class ApiKeyScheme(OpenApiAuthenticationExtension):
    """Document ``pingan.events.auth.ApiKeyAuthentication`` in the schema."""

    target_class = "pingan.events.auth.ApiKeyAuthentication"
    name = "apiKeyAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": (
                "For intake systems (sensors, other platforms): `Authorization: Api-Key <key>` "
                "(or the header `X-Api-Key: <key>`)."
            ),
        }


def event_queryset() -> QuerySet:
    """Return events with what the list shows loaded (no geometries)."""
    return Event.objects.select_related(*LIST_RELATED).defer(
        "region__boundary", "grid__geometry", "grid__description"
    )


def detail_queryset(user) -> QuerySet:
    """Return events with everything the detail shows loaded in a fixed number of queries.

    The events merged into one are limited to those ``user`` may open: the others would answer
    404 and must not be named either.
    """
    return (
        # Two more joins (township, and the events table again) cost more planning time than
        # the whole query otherwise takes: small prefetches are cheaper.
        event_queryset().prefetch_related(
            Prefetch("township", queryset=Region.objects.defer("boundary")),
            Prefetch("merged_into", queryset=Event.objects.only("id", "number")),
            Prefetch(
                "timeline",
                queryset=EventLog.objects.select_related("actor", "department").order_by(
                    "at", "id"
                ),
            ),
            Prefetch("messages", queryset=Message.objects.select_related("author")),
            "attachments",
            "assignments",
            Prefetch(
                "merged_events",
                queryset=Event.objects.visible_to(user).only("id", "number", "merged_into"),
            ),
        )
    )


# --- examples ------------------------------------------------------------------------------

EXAMPLE_EVENT = {
    "id": 1024,
    "number": "SJ-20260314-0007",
    "status": "dispatched",
    "status_display": "已派遣",
    "title": "挡墙有垮塌危险",
    "description": "南门社区后山挡墙出现裂缝，有垮塌危险，下方有住户。",
    "category": "0201",
    "category_name": "挡墙垮塌隐患",
    "category_source": "reporter",
    "priority": "urgent",
    "channel": "grid_worker",
    "channel_display": "网格员",
    "grid": {"id": 1, "code": "513999001001001", "name": "南门社区第一网格"},
    "region": {"id": 10, "code": "513999001001", "name": "南门社区"},
    "department": {"id": 7, "code": "513999-transport", "name": "示范县交通运输局"},
    "centre": {"id": 2, "code": "513999001-center", "name": "城关镇综治中心"},
    "lng": 102.5123,
    "lat": 30.0456,
    "address": "南门社区后山",
    "located_by": "grid",
    "supervision": "",
    "escalated_to": None,
    "reported_at": "2026-03-14T11:14:00+08:00",
    "signed_at": None,
    "resolved_at": None,
    "closed_at": None,
    "sign_due_at": "2026-03-14T11:44:00+08:00",
    "resolve_due_at": "2026-03-14T23:14:00+08:00",
    "overdue_since": None,
    "is_overdue": False,
    "rating": "",
    "url": "/events/1024/",
    "township": {"id": 3, "code": "513999001", "name": "城关镇"},
    "merged_into": None,
    "merged_events": [],
    "reporter_name": "网格员一",
    "reporter_phone_masked": "",
    "rating_comment": "",
    "rated_at": None,
    "dispatched_at": "2026-03-14T11:14:00+08:00",
    "urge_count": 0,
    "return_count": 0,
    "rework_count": 0,
    "extension_count": 0,
    "reopen_count": 0,
    "deadlines": [
        {
            "kind": "sign",
            "due_at": "2026-03-14T11:44:00+08:00",
            "warn_at": "2026-03-14T11:38:00+08:00",
            "paused": False,
            "overdue": False,
        },
        {
            "kind": "resolve",
            "due_at": "2026-03-14T23:14:00+08:00",
            "warn_at": "2026-03-14T20:50:00+08:00",
            "paused": False,
            "overdue": False,
        },
    ],
    "timeline": [
        {
            "at": "2026-03-14T11:14:00+08:00",
            "action": "report",
            "from_status": "",
            "to_status": "reported",
            "status_changed": True,
            "actor": "网格员一",
            "actor_unit": "南门社区第一网格",
            "department": None,
            "note": "",
            "duration_seconds": None,
        },
        {
            "at": "2026-03-14T11:14:00+08:00",
            "action": "dispatch",
            "from_status": "reported",
            "to_status": "dispatched",
            "status_changed": True,
            "actor": None,
            "actor_unit": "",
            "department": "示范县交通运输局",
            "note": "挡墙垮塌隐患 @ 示范县 → 示范县交通运输局",
            "duration_seconds": 0,
        },
    ],
    "attachments": [
        {
            "id": 55,
            "stage": "report",
            "content_type": "image/jpeg",
            "original_name": "wall.jpg",
            "size": 183220,
            "uploaded_at": "2026-03-14T11:14:00+08:00",
            "url": "/events/attachments/55/",
            "thumbnail_url": "/events/attachments/55/thumbnail/",
        }
    ],
    "messages": [],
    "possible_duplicates": [],
    "allowed_actions": [
        {"action": "sign", "fields": [], "optional": ["note"]},
        {"action": "return", "fields": ["note"], "optional": []},
        {"action": "request_extension", "fields": ["note", "due_at"], "optional": []},
        {"action": "escalate", "fields": ["note"], "optional": ["level"]},
        {"action": "message", "fields": ["note"], "optional": ["internal"]},
    ],
    "warnings": [],
}

EXAMPLE_LIST_ITEM = {
    key: EXAMPLE_EVENT[key] for key in EventListSerializer.Meta.fields if key in EXAMPLE_EVENT
}

CONFLICT_EXAMPLE = OpenApiExample(
    "Not possible now",
    response_only=True,
    status_codes=["409"],
    value={
        "detail": "“sign” is not possible for you while the event is “Signed for”.",
        "status": "signed",
        "allowed_actions": ["escalate", "message", "resolve", "start"],
    },
)

CREATE_DESCRIPTION = _(
    "File a report. Send JSON, or multipart form data to attach photos (`photos`, several "
    "files). Give the place as `lng`/`lat` (located in its grid) or a `village` code; "
    "coordinates outside every county's grids are kept, unlocated, for the county centre "
    "(or in the `village` if one is given too), and the answer's `warnings` say so "
    "(`point_outside`) so that the reporter can be told. "
    "Without `category`, keyword rules classify the report. If a routing rule names a "
    "department and the category dispatches automatically, the event is dispatched within "
    "this request.\n\n"
    "`client_key` makes the call idempotent: a key you sent before answers 200 with the "
    "original event and creates nothing; a new report answers 201. Bad input answers 400 "
    "with the errors by field (`description`, `location`, `category`, `photos`, "
    "`reporter_phone`…) and stores nothing."
)

ACTION_DESCRIPTION = _(
    'Make one move of the workflow: `{"action": "<name>", "note": "…", …fields}`. '
    "The event's `allowed_actions` lists the moves you may make now and the fields each "
    "needs. Send multipart form data to attach photos (resolve, verify, rework).\n\n"
    "Field values: `department` (id or code), `departments` (list), `into` (id or number), "
    "`category` (code), `village` (code), `due_at` (ISO date-time), `grade` (normal, yellow, "
    "red), `rating` (satisfied, basic, dissatisfied), `level` (township, county), `internal` "
    "(boolean), `lng`/`lat`, `photos` (files).\n\n"
    "Answers the event (200). A move your part in the event never allows (a leader "
    "resolving, a grid worker urging) answers 403; one not possible now — or lost in a race "
    "with someone faster — answers 409 with the current status and the moves allowed now. "
    "Missing or bad fields answer 400 by field. An event you may not see answers 404."
)


# --- events --------------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(
        summary=_("List events"),
        description=_(
            "The events you may see, newest first, in the light shape (no timeline). Filter "
            "with the workbench's parameters: `tab` (dispatch, overdue, escalated, verify, "
            "open, all), `status` (repeatable), `category` (a major code covers its minors), "
            "`township`/`region` (code, includes what lies under it), `grid`, `department` "
            "(id), `channel`, `supervision`, `priority`, `reported_after`/`reported_before`, "
            "`overdue`, and `q` (number, title, description, address)."
        ),
        examples=[
            OpenApiExample(
                "A page of events",
                response_only=True,
                status_codes=["200"],
                value={
                    "count": 1,
                    "next": None,
                    "previous": None,
                    "results": [EXAMPLE_LIST_ITEM],
                },
            )
        ],
    ),
    retrieve=extend_schema(
        summary=_("Get an event"),
        description=_(
            "One event with its deadlines, timeline (with the time between steps), files, "
            "messages, possible duplicates and the moves you may make now. Events outside "
            "your scope answer 404."
        ),
        responses={200: EventSerializer, 404: OpenApiResponse(description=_("Not visible."))},
        examples=[
            OpenApiExample("Event", response_only=True, status_codes=["200"], value=EXAMPLE_EVENT)
        ],
    ),
)
class EventViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Events (事件) visible to the caller, their intake and their moves."""

    queryset = Event.objects.none()  # the real one is scoped per request in get_queryset()
    filterset_class = EventFilter
    lookup_value_regex = r"\d+"

    def get_queryset(self):
        user = self.request.user
        base = detail_queryset(user) if self.action == "retrieve" else event_queryset()
        return base.visible_to(user)

    def get_serializer_class(self):
        if self.action == "list":
            return EventListSerializer
        if self.action == "create":
            return ReportSerializer
        if self.action == "perform_action":
            return ActionSerializer
        if self.action == "one_key_call":
            return OneKeyCallSerializer
        return EventSerializer

    def _event_response(
        self, pk: int, code: int = status.HTTP_200_OK, *, duplicates: bool = True
    ) -> Response:
        # Unscoped on purpose: the caller just reported or moved this event, and a move may
        # take it out of their scope (a department that returns it); they see the result once.
        event = detail_queryset(self.request.user).get(pk=pk)
        context = {**self.get_serializer_context(), "skip_duplicates": not duplicates}
        serializer = EventSerializer(event, context=context)
        return Response(serializer.data, status=code)

    @extend_schema(
        summary=_("Report an event"),
        description=CREATE_DESCRIPTION,
        request={
            "application/json": ReportSerializer,
            "multipart/form-data": ReportSerializer,
        },
        responses={
            201: OpenApiResponse(EventSerializer, description=_("Created.")),
            200: OpenApiResponse(
                EventSerializer, description=_("The client key was seen before: the original.")
            ),
            400: OpenApiResponse(description=_("Bad input, by field; nothing stored.")),
            403: OpenApiResponse(description=_("Your role files no reports (a leader).")),
        },
        examples=[
            OpenApiExample(
                "Grid worker on site",
                request_only=True,
                value={
                    "description": "南门社区后山挡墙出现裂缝，有垮塌危险，下方有住户。",
                    "title": "挡墙有垮塌危险",
                    "category": "0201",
                    "lng": 102.5123,
                    "lat": 30.0456,
                    "address": "南门社区后山",
                    "client_key": "grid01-20260314-111400",
                },
            ),
            OpenApiExample(
                "Hotline call (12345)",
                request_only=True,
                value={
                    "description": "来电反映村口路灯坏了一周。",
                    "village": "513999001001",
                    "channel": "hotline",
                    "reporter_name": "王先生",
                    "reporter_phone": "13800138000",
                    "client_key": "12345-20260314-0042",
                },
            ),
            OpenApiExample(
                "Missing place",
                response_only=True,
                status_codes=["400"],
                value={"location": ["请给出位置：坐标（lng、lat）或村（社区）。"]},
            ),
        ],
    )
    def create(self, request: Request) -> Response:
        refusal = queries.may_not_report(request.user)
        if refusal:  # before the input is read: a leader files no report (403)
            raise PermissionDenied(refusal)
        form = ReportSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = dict(form.validated_data)
        channel = data.pop("channel", None) or next(
            iter(queries.intake_channels(request.user)), Event.Channel.RESIDENT
        )
        event, created = services.report_event(acting_user=request.user, channel=channel, **data)
        return self._reported_response(event, created)

    def _reported_response(self, event: Event, created: bool) -> Response:
        if not created:
            return self._event_response(event.pk, status.HTTP_200_OK, duplicates=False)
        # Intake answers fast: the event is shown from what was just written (report_event
        # leaves it loaded), and the look-alikes nearby are for the centre, on the event's
        # page and in GET /events/{id}/.
        queries.load_written(event)
        context = {**self.get_serializer_context(), "skip_duplicates": True}
        return Response(
            EventSerializer(event, context=context).data, status=status.HTTP_201_CREATED
        )

    @extend_schema(
        summary=_("Report a one-key call"),
        description=_(
            "File an elderly person's one-key call (一键呼) for the centre: the caller's name, "
            "address and place come from the registered terminal of `phone`. An unknown number "
            "answers 400 on `phone`. Idempotent on `client_key` like the report."
        ),
        request=OneKeyCallSerializer,
        responses={
            201: OpenApiResponse(EventSerializer, description=_("Created.")),
            200: OpenApiResponse(
                EventSerializer, description=_("The client key was seen before: the original.")
            ),
            400: OpenApiResponse(description=_("Bad input, by field; nothing stored.")),
        },
        examples=[
            OpenApiExample(
                "Call",
                request_only=True,
                value={"phone": "13900001111", "note": "老人说头晕", "client_key": "okc-0815"},
            )
        ],
    )
    @action(detail=False, methods=["post"], url_path="one-key-call", filter_backends=[])
    def one_key_call(self, request: Request) -> Response:
        form = OneKeyCallSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        event, created = services.report_one_key_call(
            acting_user=request.user, **form.validated_data
        )
        return self._reported_response(event, created)

    @extend_schema(
        summary=_("Make a move"),
        description=ACTION_DESCRIPTION,
        request={
            "application/json": ActionSerializer,
            "multipart/form-data": ActionSerializer,
        },
        responses={
            200: EventSerializer,
            400: OpenApiResponse(description=_("Missing or bad fields.")),
            403: OpenApiResponse(
                ConflictSerializer, description=_("Your part in the event never allows it.")
            ),
            404: OpenApiResponse(description=_("Not visible.")),
            409: OpenApiResponse(ConflictSerializer, description=_("Not possible now.")),
        },
        examples=[
            OpenApiExample("Sign for", request_only=True, value={"action": "sign"}),
            OpenApiExample(
                "Resolve (multipart with photos in practice)",
                request_only=True,
                value={"action": "resolve", "note": "挡墙已加固，险情排除。", "photos": []},
            ),
            OpenApiExample(
                "Return to the centre",
                request_only=True,
                value={"action": "return", "note": "不属于本部门职责，建议派住建局。"},
            ),
            OpenApiExample(
                "Escalate (吹哨)",
                request_only=True,
                value={"action": "escalate", "note": "需多部门协同处置", "level": "county"},
            ),
            OpenApiExample(
                "Dispatch",
                request_only=True,
                value={"action": "dispatch", "department": "513999-transport", "note": ""},
            ),
            OpenApiExample(
                "Ask for more time",
                request_only=True,
                value={
                    "action": "request_extension",
                    "note": "需等待材料到场",
                    "due_at": "2026-03-16T18:00:00+08:00",
                },
            ),
            OpenApiExample(
                "Rate",
                request_only=True,
                value={"action": "rate", "rating": "satisfied", "note": "处理及时"},
            ),
            CONFLICT_EXAMPLE,
        ],
    )
    @action(detail=True, methods=["post"], url_path="actions", filter_backends=[])
    def perform_action(self, request: Request, pk=None) -> Response:
        event = queries.get_event_for_user(request.user, pk)
        form = ActionSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = dict(form.validated_data)
        name = data.pop("action")
        # Only what the client sent: form data would otherwise bring defaults (internal=False).
        fields = {key: value for key, value in data.items() if key in request.data}
        services.perform(event, name, acting_user=request.user, **fields)
        return self._event_response(event.pk)


# --- categories ----------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(
        summary=_("List categories"),
        description=_(
            "The active categories as a two-level tree in one list, ordered by code: each "
            "major category (level 1) followed by its minor ones (level 2, `parent` is the "
            "major's code), with the default priority and the time to sign for and to "
            "resolve (amount and unit). Not paginated."
        ),
    ),
    retrieve=extend_schema(summary=_("Get a category"), description=_("One category by code.")),
)
class CategoryViewSet(viewsets.ReadOnlyModelViewSet):
    """Event categories (大类/小类): public to every signed-in user."""

    queryset = Category.objects.filter(is_active=True).select_related("parent").order_by("code")
    serializer_class = CategorySerializer
    pagination_class = None
    filter_backends: list = []
    lookup_field = "code"
    lookup_value_regex = r"\d{2,8}"
