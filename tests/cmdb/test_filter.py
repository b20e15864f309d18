"""Filtering CIs by attribute: typed values, subclasses included, and the GIN index doing the work."""

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from cmdb.models import ConfigurationItem
from cmdb.selectors import filter_cis

pytestmark = pytest.mark.django_db


def test_filter_by_typed_attribute_includes_subclasses(cls, make_ci):
    linux = make_ci("l1", "Linux Server", attributes={"cpu_count": 8, "os": "Debian 12"})
    windows = make_ci("w1", "Windows Server", attributes={"cpu_count": 8})
    make_ci("l2", "Linux Server", attributes={"cpu_count": 4, "os": "Debian 12"})
    assert set(filter_cis(cls["Server"], {"cpu_count": "8"})) == {linux, windows}
    assert list(filter_cis(cls["Server"], {"cpu_count": "8", "os": "Debian 12"})) == [linux]
    assert list(filter_cis(cls["Windows Server"], {"cpu_count": 8})) == [windows]
    assert list(filter_cis(cls["Server"], {"cpu_count": 8}, subclasses=False)) == []


def test_filter_with_a_bad_key_or_value_says_which(cls):
    with pytest.raises(ValidationError) as caught:
        filter_cis(cls["Server"], {"cpu_count": "x", "colour": "red"})
    assert set(caught.value.message_dict) == {"cpu_count", "colour"}


def test_attribute_filter_uses_the_gin_index(cls):
    server = cls["Linux Server"]
    ConfigurationItem.objects.bulk_create(
        ConfigurationItem(
            name=f"srv{n:05}", ci_class=server, ci_type="server", attributes={"hostname": f"h{n}", "cpu_count": n % 16}
        )
        for n in range(3000)
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE cmdb_configurationitem")
        cursor.execute("SET LOCAL enable_seqscan = off")
    qs = filter_cis(None, {"hostname": "h42"})
    assert [ci.name for ci in qs] == ["srv00042"]
    assert "ci_attributes_gin" in qs.explain()
