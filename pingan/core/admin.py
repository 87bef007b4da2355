"""Admin pages: the working calendar (holidays, working hours), failed tasks and background jobs."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from pingan.core.models import MAX_RANGE_DAYS, CalendarDay, FailedTask, Job, WorkingPeriod


class CalendarRangeForm(forms.Form):
    """Enter a whole holiday (e.g. 春节, eight days) or a run of make-up working days at once."""

    start = forms.DateField(label=_("first date"), widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=_("last date"), widget=forms.DateInput(attrs={"type": "date"}))
    kind = forms.ChoiceField(label=_("kind"), choices=CalendarDay.Kind.choices)
    name = forms.CharField(
        label=_("name"), max_length=50, required=False, help_text=_("e.g. Spring Festival")
    )
    note = forms.CharField(label=_("note"), max_length=200, required=False)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # Interpolated here, not at import, so the help text follows the request's language.
        self.fields["end"].help_text = gettext(
            "Inclusive; a range covers at most %(max)d days."
        ) % {"max": MAX_RANGE_DAYS}

    def save(self) -> list[CalendarDay]:
        """Create the days, or attach the model's errors to this form and return nothing."""
        data = self.cleaned_data
        try:
            return CalendarDay.objects.add_range(
                data["start"], data["end"], kind=data["kind"], name=data["name"], note=data["note"]
            )
        except ValidationError as exc:
            self.add_error(None, exc)
            return []


@admin.register(CalendarDay)
class CalendarDayAdmin(admin.ModelAdmin):
    list_display = ["date", "weekday", "kind", "name", "note"]
    list_filter = ["kind"]
    date_hierarchy = "date"
    search_fields = ["name", "note"]
    change_list_template = "admin/core/calendarday/change_list.html"

    @admin.display(description=_("weekday"))
    def weekday(self, obj: CalendarDay) -> str:
        return obj.date.strftime("%a")

    def get_urls(self):
        urls = [
            path(
                "add-range/",
                self.admin_site.admin_view(self.add_range_view),
                name="core_calendarday_add_range",
            )
        ]
        return urls + super().get_urls()

    def add_range_view(self, request: HttpRequest) -> HttpResponse:
        """Show and process the "add a range of days" form."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = CalendarRangeForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            days = form.save()
            if days:
                self.message_user(
                    request,
                    gettext("Saved %(n)d days from %(start)s to %(end)s.")
                    % {"n": len(days), "start": days[0].date, "end": days[-1].date},
                    messages.SUCCESS,
                )
                return redirect(reverse("admin:core_calendarday_changelist"))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": gettext("Add a range of days"),
            "form": form,
            "max_days": MAX_RANGE_DAYS,
        }
        return TemplateResponse(request, "admin/core/calendarday/add_range.html", context)


@admin.register(WorkingPeriod)
class WorkingPeriodAdmin(admin.ModelAdmin):
    list_display = ["__str__", "start", "end", "hours"]

    @admin.display(description=_("hours"))
    def hours(self, obj: WorkingPeriod) -> str:
        minutes = (obj.end.hour * 60 + obj.end.minute) - (obj.start.hour * 60 + obj.start.minute)
        return f"{minutes // 60}:{minutes % 60:02d}"


@admin.register(FailedTask)
class FailedTaskAdmin(admin.ModelAdmin):
    """Tasks that failed after their last retry; an administrator may queue them again."""

    list_display = ["failed_at", "task_name", "short_error", "retries_used", "retried_at"]
    list_filter = ["task_name", "failed_at", ("retried_at", admin.EmptyFieldListFilter)]
    date_hierarchy = "failed_at"
    search_fields = ["error", "task_name", "task_id", "args_repr"]
    readonly_fields = [
        "task_name",
        "task_id",
        "args_repr",
        "payload",
        "error",
        "traceback",
        "retries_used",
        "failed_at",
        "retried_at",
        "retried_task_id",
    ]
    actions = ["retry"]

    @admin.display(description=_("error"))
    def short_error(self, obj: FailedTask) -> str:
        return obj.error if len(obj.error) <= 120 else obj.error[:117] + "…"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # rows come from the task queue only

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False  # a record of what happened; "retry" is the only thing to do with it

    @admin.action(description=_("Retry the selected tasks"), permissions=["view"])
    def retry(self, request: HttpRequest, queryset) -> None:
        """Queue each selected task again with its arguments and mark it retried."""
        from pingan.core.tasks import retry_failed_task

        if not request.user.is_superuser and not request.user.has_perm("core.delete_failedtask"):
            # Viewing is enough to read failures; re-running work needs more.
            self.message_user(
                request, gettext("Only administrators may retry tasks."), messages.ERROR
            )
            return
        done, refused = 0, []
        for failed in queryset.order_by("failed_at"):
            try:
                retry_failed_task(failed)
            except LookupError as exc:
                refused.append(f"{failed.task_name} {failed.task_id}: {exc}")
            else:
                done += 1
        if done:
            self.message_user(
                request, gettext("Queued %(n)d tasks again.") % {"n": done}, messages.SUCCESS
            )
        for line in refused:
            self.message_user(
                request, gettext("Not retried: %(why)s") % {"why": line}, messages.WARNING
            )


@admin.register(Job)
class JobAdmin(admin.ModelAdmin):
    """Every background job, for administrators (users see their own under /jobs/)."""

    list_display = ["created_at", "title", "kind", "status", "percent", "created_by"]
    list_filter = ["status", "kind", "created_at"]
    search_fields = ["title", "kind", "error", "created_by__username"]
    list_select_related = ["created_by"]
    date_hierarchy = "created_at"
    readonly_fields = [
        "kind",
        "title",
        "created_by",
        "func_path",
        "status",
        "percent",
        "messages",
        "params",
        "result_file",
        "result_summary",
        "error",
        "created_at",
        "started_at",
        "finished_at",
    ]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # jobs are started by the pages that need them

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def view_on_site(self, obj: Job) -> str:
        return obj.get_absolute_url()
