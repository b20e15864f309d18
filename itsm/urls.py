from django.contrib import admin
from django.urls import include, path

from servicedesk import views as servicedesk_views

from . import views

urlpatterns = [
    path("", servicedesk_views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("calibration", views.calibration, name="calibration"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("", include("servicedesk.urls")),
    path("", include("incidents.urls")),
    path("", include("requests_catalog.urls")),
    path("", include("knowledge.urls")),
    path("", include("cmdb.urls")),
]
