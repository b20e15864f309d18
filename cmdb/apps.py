from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CmdbConfig(AppConfig):
    """Configuration management."""

    name = "cmdb"
    verbose_name = _("Configuration management")

    def ready(self) -> None:
        from . import access  # noqa: F401 - registers the CMDB read and manage permissions
