from django.urls import path

from pingan.events import views

app_name = "events"

urlpatterns = [
    path("", views.workbench, name="workbench"),
    path("export/", views.export, name="export"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/act/<slug:action>/", views.act, name="act"),
    path("attachments/<int:pk>/", views.attachment, name="attachment"),
    path(
        "attachments/<int:pk>/thumbnail/", views.attachment, {"thumbnail": True}, name="thumbnail"
    ),
    path("inbox/", views.inbox, name="inbox"),
    path("departments/<int:pk>/", views.department, name="department"),
    path("report/", views.report, name="report"),
    path("mine/", views.mine, name="mine"),
    path("verify/", views.verify_tasks, name="verify_tasks"),
    path("hotline/", views.hotline, name="hotline"),
    path("one-key/", views.one_key, name="one_key"),
    path("overdue/", views.overdue, name="overdue"),
    path("routing/", views.routing_rules, name="routing"),
    path("routing/add/", views.routing_edit, name="routing_add"),
    path("routing/<int:pk>/edit/", views.routing_edit, name="routing_edit"),
    path("routing/<int:pk>/delete/", views.routing_delete, name="routing_delete"),
    path("routing/test/", views.routing_test, name="routing_test"),
]
