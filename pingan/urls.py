from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _
from drf_spectacular.views import SpectacularAPIView

from pingan.core.views import api_docs, favicon, healthz

admin.site.site_header = _("Pingan administration")
admin.site.site_title = _("Pingan")
admin.site.index_title = _("Administration")

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("favicon.ico", favicon, name="favicon"),
    path("", include("pingan.accounts.urls")),
    path("", include("pingan.geo.urls")),
    path("jobs/", include("pingan.core.urls")),
    path("notifications/", include("pingan.notify.urls")),
    path("reminders/", include("pingan.workflow.urls")),
    path("events/", include("pingan.events.urls")),
    path("people/", include("pingan.people.urls")),
    path("api/v1/", include("pingan.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", api_docs, name="api-docs"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
]

# Error pages of our own (Chinese first, with a way back) and JSON under /api/: core/errors.py.
handler400 = "pingan.core.errors.bad_request"
handler403 = "pingan.core.errors.permission_denied"
handler404 = "pingan.core.errors.page_not_found"
handler500 = "pingan.core.errors.server_error"
