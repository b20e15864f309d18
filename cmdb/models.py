"""Configuration items: a minimal table that tickets can point at; the CMDB practice fills it out later."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class CIType(models.TextChoices):
    BUSINESS_SERVICE = "business_service", _("Business service")
    APPLICATION = "application", _("Application")
    DATABASE = "database", _("Database")
    SERVER = "server", _("Server")
    NETWORK_DEVICE = "network_device", _("Network device")
    WORKSTATION = "workstation", _("Workstation")
    OTHER = "other", _("Other")


class CIStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    IN_SERVICE = "in_service", _("In service")
    MAINTENANCE = "maintenance", _("Maintenance")
    RETIRED = "retired", _("Retired")


class ConfigurationItemQuerySet(models.QuerySet):
    def services(self):
        return self.filter(ci_type=CIType.BUSINESS_SERVICE)

    def in_use(self):
        return self.exclude(status=CIStatus.RETIRED)


class ConfigurationItem(models.Model):
    """Something the IT organisation runs: a business service, an application, a server …"""

    name = models.CharField(_("name"), max_length=200)
    ci_type = models.CharField(_("type"), max_length=32, choices=CIType.choices, default=CIType.OTHER)
    status = models.CharField(_("status"), max_length=16, choices=CIStatus.choices, default=CIStatus.IN_SERVICE)
    description = models.TextField(_("description"), blank=True)

    objects = ConfigurationItemQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("configuration item")
        verbose_name_plural = _("configuration items")
        constraints = [models.UniqueConstraint(fields=["ci_type", "name"], name="ci_unique_name_per_type")]

    def __str__(self) -> str:
        return self.name
