from django.urls import path

from pingan.events import views

app_name = "events"

urlpatterns = [
    path("", views.workbench, name="workbench"),
    path("<int:pk>/", views.detail, name="detail"),
    path("attachments/<int:pk>/", views.attachment, name="attachment"),
    path(
        "attachments/<int:pk>/thumbnail/", views.attachment, {"thumbnail": True}, name="thumbnail"
    ),
]
