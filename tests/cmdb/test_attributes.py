"""Classes in a tree, attribute definitions inherited down it, and validation of each attribute type."""

import pytest
from django.core.exceptions import ValidationError

from cmdb.attributes import validate_attributes
from cmdb.models import CIAttribute, CIClass, ConfigurationItem

pytestmark = pytest.mark.django_db


def test_default_classes_form_the_hierarchy(cls):
    assert [c.name for c in cls["Linux Server"].lineage()] == ["Hardware", "Server", "Linux Server"]
    assert cls["Database"].parent == cls["Software"]
    assert {c.name for c in CIClass.objects.filter(pk__in=cls["Network Device"].descendant_ids())} == {
        "Network Device",
        "Switch",
        "Router",
        "Firewall",
    }
    assert cls["Business Service"].kind == "business_service"


def test_effective_attributes_are_the_ancestors_then_own(cls):
    keys = [a.key for a in cls["Linux Server"].effective_attributes()]
    assert keys[:4] == ["serial_number", "vendor", "model", "purchase_date"]
    assert {"hostname", "ip_address", "os", "cpu_count", "memory_gb", "kernel_version"} <= set(keys)
    assert "windows_edition" not in keys
    assert "hostname" not in [a.key for a in cls["Hardware"].effective_attributes()]


def test_a_subclass_cannot_redefine_an_inherited_key(cls):
    clash = CIAttribute(ci_class=cls["Linux Server"], key="hostname", label="Host", type="number")
    with pytest.raises(ValidationError) as caught:
        clash.full_clean()
    assert "key" in caught.value.message_dict
    # Nor may a parent take a key a child already has.
    with pytest.raises(ValidationError):
        CIAttribute(ci_class=cls["Hardware"], key="kernel_version", label="Kernel", type="text").full_clean()
    # A sibling branch may use the same key.
    CIAttribute(ci_class=cls["Switch"], key="kernel_version", label="Kernel", type="text").full_clean()


def test_choice_attribute_needs_choices(cls):
    with pytest.raises(ValidationError) as caught:
        CIAttribute(ci_class=cls["Router"], key="tier", label="Tier", type="choice", choices=[]).full_clean()
    assert "choices" in caught.value.message_dict


def test_values_are_typed_for_storage(cls, make_ci):
    app_server = make_ci("srv-typed")
    cleaned = validate_attributes(
        cls["Linux Server"],
        {
            "hostname": " srv01.example.com ",
            "cpu_count": "8",
            "memory_gb": "15.5",
            "purchase_date": "2024-02-29",
            "ip_address": "2001:0db8:0000:0000:0000:0000:0000:0001",
            "os": "",
        },
    )
    assert cleaned == {
        "hostname": "srv01.example.com",
        "cpu_count": 8,
        "memory_gb": 15.5,
        "purchase_date": "2024-02-29",
        "ip_address": "2001:db8::1",
    }
    db = validate_attributes(cls["Database"], {"engine": "PostgreSQL", "runs_on": str(app_server.pk), "port": 5432})
    assert db == {"engine": "PostgreSQL", "runs_on": app_server.pk, "port": 5432}


@pytest.mark.parametrize(
    ("class_name", "values", "bad_key"),
    [
        ("Server", {"cpu_count": "eight"}, "cpu_count"),
        ("Server", {"cpu_count": True}, "cpu_count"),
        ("Server", {"cpu_count": "NaN"}, "cpu_count"),
        ("Server", {"purchase_date": "29/02/2024"}, "purchase_date"),
        ("Server", {"purchase_date": "2023-02-29"}, "purchase_date"),
        ("Server", {"ip_address": "10.0.0.300"}, "ip_address"),
        ("Database", {"engine": "Access"}, "engine"),
        ("Database", {"runs_on": "abc"}, "runs_on"),
        ("Database", {"runs_on": 999999}, "runs_on"),
        ("Server", {"colour": "blue"}, "colour"),
        ("Server", {"hostname": ["a"]}, "hostname"),
    ],
)
def test_bad_values_give_field_errors(cls, class_name, values, bad_key):
    with pytest.raises(ValidationError) as caught:
        validate_attributes(cls[class_name], values)
    assert list(caught.value.message_dict) == [bad_key]


def test_reference_must_point_at_the_allowed_class_or_a_subclass(cls, make_ci):
    linux = make_ci("srv-linux")
    database = make_ci("db-main", "Database")
    assert validate_attributes(cls["Application"], {"runs_on": linux.pk}) == {"runs_on": linux.pk}
    with pytest.raises(ValidationError) as caught:
        validate_attributes(cls["Application"], {"runs_on": database.pk})
    assert "runs_on" in caught.value.message_dict


def test_required_attributes_and_all_errors_at_once(cls):
    CIAttribute.objects.create(ci_class=cls["Server"], key="rack", label="Rack", type="text", required=True)
    with pytest.raises(ValidationError) as caught:
        validate_attributes(cls["Windows Server"], {"rack": "  ", "cpu_count": "x"})
    assert set(caught.value.message_dict) == {"rack", "cpu_count"}
    assert validate_attributes(cls["Windows Server"], {"rack": "R12"}) == {"rack": "R12"}


def test_bad_input_saves_nothing(carl, cls):
    from cmdb.services import create_ci

    with pytest.raises(ValidationError):
        create_ci(actor=carl, ci_class=cls["Server"], name="bad", attributes={"cpu_count": "many"})
    assert not ConfigurationItem.objects.filter(name="bad").exists()
