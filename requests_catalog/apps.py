from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RequestsCatalogConfig(AppConfig):
    """Service requests and catalog."""

    name = "requests_catalog"
    verbose_name = _("Service requests and catalog")
