"""The inbox: /notifications/."""

from __future__ import annotations

from django.urls import path

from pingan.notify import demo_robot, views

app_name = "notify"
urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("read-all/", views.mark_all_read, name="mark_all_read"),
    path("<int:pk>/", views.open_notification, name="open"),
    path("<int:pk>/read/", views.mark_read, name="mark_read"),
    path("demo-robot/<str:robot>/", demo_robot.receive, name="demo_robot"),
]
