"""Background jobs, mounted at /jobs/."""

from __future__ import annotations

from django.urls import path

from pingan.core import views

app_name = "core"
urlpatterns = [
    path("", views.job_list, name="job_list"),
    path("<int:pk>/", views.job_detail, name="job_detail"),
    path("<int:pk>/progress/", views.job_progress, name="job_progress"),
    path("<int:pk>/result", views.job_result, name="job_result"),
]
