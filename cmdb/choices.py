"""The CMDB's fixed vocabularies: CI types (the kind a class stands for), statuses, environments, attribute types."""

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


class Environment(models.TextChoices):
    PRODUCTION = "production", _("Production")
    STAGING = "staging", _("Staging")
    TEST = "test", _("Test")
    DEVELOPMENT = "development", _("Development")


class AttributeType(models.TextChoices):
    TEXT = "text", _("Text")
    NUMBER = "number", _("Number")
    DATE = "date", _("Date")
    CHOICE = "choice", _("Choice")
    IP_ADDRESS = "ip_address", _("IP address")
    REFERENCE = "reference", _("Reference to a CI")


class ImpactDirection(models.TextChoices):
    UPSTREAM = "upstream", _("Upstream (what depends on it)")
    DOWNSTREAM = "downstream", _("Downstream (what it depends on)")
