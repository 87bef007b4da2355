"""Pages for reminders (提醒事项), mounted at /reminders/."""

from __future__ import annotations

from django.urls import path

from pingan.workflow import views

app_name = "workflow"
urlpatterns = [
    path("", views.reminder_list, name="reminder_list"),
    path("<int:pk>/", views.reminder_detail, name="reminder_detail"),
    path("<int:pk>/complete/", views.reminder_complete, name="reminder_complete"),
]
