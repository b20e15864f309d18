"""seed_demo's CMDB estate: about 2,000 CIs over every default class, the CIs tickets and the catalog name kept,
impact from a core switch and a database server reaching business services, and a second run that changes
nothing."""

import pytest
from django.core.management import call_command

from cmdb.choices import CIType, ImpactDirection
from cmdb.models import CIClass, CIHistory, ConfigurationItem, Relation
from cmdb.selectors import filter_cis, impact, impacted_services


@pytest.fixture
def seeded(db, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    call_command("seed_demo")


def _counts():
    return {
        "cis": ConfigurationItem.objects.count(),
        "relations": Relation.objects.count(),
        "history": CIHistory.objects.count(),
    }


def test_about_two_thousand_cis_over_every_class_of_the_default_tree(seeded):
    assert 1900 <= ConfigurationItem.objects.count() <= 2100
    unused = CIClass.objects.filter(items__isnull=True).values_list("name", flat=True)
    assert list(unused) == []
    assert not ConfigurationItem.objects.filter(ci_class__isnull=True).exists()
    assert ConfigurationItem.objects.services().count() >= 15
    # Every CI's type is its class's kind, as the model's save() would have made it.
    for ci_class in CIClass.objects.all():
        assert set(ci_class.items.values_list("ci_type", flat=True)) == {ci_class.kind}


def test_the_cis_tickets_catalog_and_articles_name_are_kept_and_classified(seeded):
    expected = {
        "Email": "Business Service",
        "ERP": "Business Service",
        "Remote access (VPN)": "Business Service",
        "Office Wi-Fi": "Business Service",
        "mail01": "Windows Server",
        "fs01": "Windows Server",
        "erp-db01": "Database",
        "vpn-gw01": "Network Device",
        "GitLab": "Application",
        "Microsoft 365": "Application",
        "LT-1001": "Workstation",
    }
    found = dict(ConfigurationItem.objects.filter(name__in=expected).values_list("name", "ci_class__name"))
    assert found == expected
    assert ConfigurationItem.objects.filter(name__in=expected).count() == len(expected)


def test_the_named_core_carries_service_history(seeded):
    switch = ConfigurationItem.objects.get(name="sh-dc-core-sw-01")
    fields = set(switch.history.values_list("field", flat=True))
    assert {"class", "name", "attributes.hostname", "relation"} <= fields


def test_databases_name_their_engine_and_the_server_they_run_on(seeded):
    databases = ConfigurationItem.objects.filter(ci_type=CIType.DATABASE)
    assert {db.attributes["engine"] for db in databases} >= {"PostgreSQL", "Oracle", "SQL Server", "MySQL"}
    generated = databases.exclude(name="erp-db01")
    hosts = ConfigurationItem.objects.in_bulk([db.attributes["runs_on"] for db in generated])
    assert {host.ci_type for host in hosts.values()} == {CIType.SERVER}


def test_impact_from_a_core_switch_and_a_database_server_reaches_business_services(seeded):
    core_switch = ConfigurationItem.objects.get(name="sh-dc-core-sw-01")
    services = {hit.ci.name for hit in impacted_services(core_switch)}
    assert {"ERP", "Email"} <= services

    db_server = ConfigurationItem.objects.get(name="sh-db-erp-main-01")
    assert "ERP" in {hit.ci.name for hit in impacted_services(db_server)}

    downstream = {
        hit.ci.name
        for hit in impact(ConfigurationItem.objects.get(name="ERP"), depth=5, direction=ImpactDirection.DOWNSTREAM)
    }
    assert {"erp-core", "erp-main-db", "sh-db-erp-main-01", "sh-dc-core-sw-01"} <= downstream


def test_the_attribute_filter_finds_servers_by_os(seeded):
    linux = CIClass.objects.get(name="Linux Server")
    ubuntu = filter_cis(linux, {"os": "Ubuntu 22.04"})
    assert ubuntu.exists()
    assert all(ci.attributes["os"] == "Ubuntu 22.04" for ci in ubuntu)


def test_a_second_run_changes_nothing(seeded):
    before = _counts()
    call_command("seed_demo")
    assert _counts() == before
