"""Impact analysis: upstream and downstream walks, the depth limit, cycles, and the business services hit."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cmdb.selectors import analyse_impact, impact, impacted_services

pytestmark = pytest.mark.django_db


@pytest.fixture
def stack(make_ci, relate):
    """Email (service) depends on mail-app, which runs on srv01 (connects to sw01); ERP depends on Email."""
    cis = {
        "Email": make_ci("Email", "Business Service"),
        "ERP": make_ci("ERP", "Business Service"),
        "mail-app": make_ci("mail-app", "Application"),
        "mail-db": make_ci("mail-db", "Database"),
        "srv01": make_ci("srv01"),
        "sw01": make_ci("sw01", "Switch"),
    }
    relate(cis["Email"], "depends on", cis["mail-app"])
    relate(cis["ERP"], "depends on", cis["Email"])
    relate(cis["mail-app"], "runs on", cis["srv01"])
    relate(cis["mail-app"], "depends on", cis["mail-db"])
    relate(cis["mail-db"], "runs on", cis["srv01"])
    relate(cis["srv01"], "connects to", cis["sw01"])
    return cis


def names(hits):
    return {hit.ci.name: hit.depth for hit in hits}


def test_upstream_finds_what_depends_on_a_ci_at_its_shortest_depth(stack):
    hits = impact(stack["srv01"], direction="upstream")
    assert names(hits) == {"mail-app": 1, "mail-db": 1, "Email": 2, "ERP": 3}
    erp = next(h for h in hits if h.ci.name == "ERP")
    assert [(step.relation_type.name, step.ci.name) for step in erp.path] == [
        ("runs on", "mail-app"),
        ("depends on", "Email"),
        ("depends on", "ERP"),
    ]
    assert [h.depth for h in hits] == sorted(h.depth for h in hits)


def test_downstream_finds_what_a_ci_depends_on(stack):
    assert names(impact(stack["Email"], direction="downstream")) == {"mail-app": 1, "mail-db": 2, "srv01": 2, "sw01": 3}
    assert names(impact(stack["sw01"], direction="downstream")) == {}


def test_depth_limit(stack):
    assert names(impact(stack["srv01"], depth=1)) == {"mail-app": 1, "mail-db": 1}
    assert names(impact(stack["srv01"], depth=2)) == {"mail-app": 1, "mail-db": 1, "Email": 2}
    assert impact(stack["srv01"], depth=0) == []


def test_relation_type_filter(stack, rel):
    assert names(impact(stack["srv01"], relation_types=[rel["runs on"]])) == {"mail-app": 1, "mail-db": 1}


def test_cycles_terminate_and_return_each_ci_once(make_ci, relate):
    a, b, c = (make_ci(n, "Application") for n in "ABC")
    relate(a, "depends on", b)
    relate(b, "depends on", c)
    relate(c, "depends on", a)
    relate(a, "part of", c)
    down = impact(a, direction="downstream", depth=10)
    assert names(down) == {"B": 1, "C": 1}
    up = impact(a, direction="upstream", depth=10)
    assert names(up) == {"C": 1, "B": 2}
    assert len({h.ci.pk for h in up}) == len(up)


def test_impacted_services(stack):
    assert names(impacted_services(stack["sw01"])) == {"Email": 3, "ERP": 4}
    assert names(impacted_services(stack["sw01"], depth=3)) == {"Email": 3}


def test_impact_costs_a_fixed_number_of_queries(stack, make_ci, relate):
    with CaptureQueriesContext(connection) as small:
        impact(stack["srv01"])
    for n in range(10):
        relate(make_ci(f"extra{n}", "Application"), "runs on", stack["srv01"])
    with CaptureQueriesContext(connection) as big:
        assert len(impact(stack["srv01"])) == 14
    # One query per level the walk reaches (srv01's upstream is 3 levels deep, and a 4th finds nothing), then
    # the business services, the CIs, classes and relation types: more rows, not more queries.
    assert len(small) == len(big) == 4 + 4


def test_each_ci_is_expanded_once_however_many_relations_reach_it(make_ci, relate):
    """A diamond repeated: every level reached through many relations still costs one query per level."""
    top = make_ci("top", "Linux Server")
    layer = [top]
    for level in range(4):
        nxt = [make_ci(f"n{level}-{i}", "Application") for i in range(4)]
        for upper in nxt:
            for lower in layer:
                relate(upper, "depends on", lower)
        layer = nxt
    with CaptureQueriesContext(connection) as captured:
        hits = impact(top, depth=5)
    assert len(hits) == 16 and len({hit.ci.pk for hit in hits}) == 16
    assert sorted({hit.depth for hit in hits}) == [1, 2, 3, 4]
    assert all(len(hit.path) == hit.depth for hit in hits)
    assert len(captured) == 5 + 4  # four levels found, a fifth query finds nothing more


def _fan(make_ci, relate, top, widths, prefix="L"):
    """Levels of applications above ``top``: each CI of a level depends on every CI of the level below."""
    below, levels = [top], []
    for level, width in enumerate(widths):
        layer = [make_ci(f"{prefix}{level}-{i:02d}", "Application") for i in range(width)]
        for upper in layer:
            for lower in below:
                relate(upper, "depends on", lower)
        levels.append(layer)
        below = layer
    return levels


def test_a_limit_lists_the_nearest_with_paths_and_keeps_counts_and_services_complete(make_ci, relate):
    top = make_ci("top", "Linux Server")
    levels = _fan(make_ci, relate, top, [3, 6])
    far_service = make_ci("Far service", "Business Service")
    relate(far_service, "depends on", levels[1][-1])
    full = analyse_impact(top, limit=None)
    limited = analyse_impact(top, limit=5)
    assert full.total == limited.total == 10 and full.per_depth == limited.per_depth == (3, 6, 1)
    assert not full.truncated and limited.truncated
    # The nearest five: the whole first level, then the first two of the second by name.
    assert [(h.ci.name, h.depth) for h in limited.hits] == [
        ("L0-00", 1),
        ("L0-01", 1),
        ("L0-02", 1),
        ("L1-00", 2),
        ("L1-01", 2),
    ]
    # The service three hops away is reported although the list stops at five, with a shortest path.
    assert [h.ci.name for h in limited.services] == ["Far service"]
    path = limited.services[0].path
    assert [step.ci.name for step in path] == [path[0].ci.name, "L1-05", "Far service"]
    assert path[0].ci.name.startswith("L0-")
    # Every listed CI has the same depth and path as the unlimited walk gives it.
    by_pk = {h.ci.pk: h for h in full.hits}
    for hit in limited.hits + limited.services:
        assert hit.depth == by_pk[hit.ci.pk].depth
        assert [s.relation_id for s in hit.path] == [s.relation_id for s in by_pk[hit.ci.pk].path]


def test_a_limited_analysis_costs_the_same_queries_however_many_cis_it_reaches(make_ci, relate):
    top = make_ci("top", "Linux Server")
    _fan(make_ci, relate, top, [2, 2])
    with CaptureQueriesContext(connection) as small:
        analyse_impact(top, limit=3)
    other = make_ci("other", "Linux Server")
    _fan(make_ci, relate, other, [2, 20], prefix="M")
    with CaptureQueriesContext(connection) as big:
        result = analyse_impact(other, limit=3)
    assert result.total == 22 and len(result.hits) == 3
    assert len(small) == len(big)


def test_impacted_services_ignores_the_limit(make_ci, relate):
    top = make_ci("top", "Linux Server")
    services = [make_ci(f"Service {i:02d}", "Business Service") for i in range(5)]
    for service in services:
        relate(service, "depends on", top)
    assert [hit.ci.name for hit in impacted_services(top)] == [s.name for s in services]
    assert analyse_impact(top, limit=2).total == 5


def test_a_relation_removed_between_the_walk_and_the_paths_drops_the_hit_and_keeps_the_count(
    make_ci, relate, carl, monkeypatch
):
    """A concurrent edit between the walk's queries: the CI it cut off is counted but not listed, and nothing fails."""
    from cmdb import selectors, services

    top = make_ci("top", "Linux Server")
    kept = make_ci("kept", "Application")
    cut = make_ci("cut", "Application")
    relate(kept, "depends on", top)
    relation = relate(cut, "depends on", top)
    levels = selectors._Walk.levels

    def walk_then_someone_removes(self, *args, **kwargs):
        found = levels(self, *args, **kwargs)
        services.remove_relation(actor=carl, relation=relation)
        return found

    monkeypatch.setattr(selectors._Walk, "levels", walk_then_someone_removes)
    result = analyse_impact(top, limit=10)
    assert result.total == 2
    assert [h.ci.name for h in result.hits] == ["kept"]
