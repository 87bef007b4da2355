"""Admin pages for the working calendar: holidays / make-up working days and working hours."""

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

from pingan.core.models import MAX_RANGE_DAYS, CalendarDay, WorkingPeriod


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
