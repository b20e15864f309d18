"""Reads of the CMDB shared by pages and APIs: impact analysis over the relation graph, attribute filters, history.

**Impact analysis.** A relation reads "source <type> target" with the source depending on the target
(app01 *runs on* srv01, Email *depends on* app01). From a CI, *upstream* is what depends on it (follow
relations backwards, target → source: srv01's upstream holds app01 and Email) and *downstream* is what it
depends on (source → target).

One ``WITH RECURSIVE`` query walks the graph breadth-first. Each row is a relation followed at a depth
(CI reached, depth, the CI it came from, the relation); ``UNION`` drops a row already produced, so a relation
enters each level once however many paths lead to it, and the depth limit ends the walk on cycles
(A → B → C → A). The work is bounded by the relations reached times the depth, not by the number of paths
(a path array per row would enumerate every simple path, which grows exponentially with fan-in).
``DISTINCT ON`` then keeps, per CI, a row at its shortest depth; that row's parent is itself reached at the
depth before, so following the parents back gives a shortest relation path. Both ends of ``cmdb_relation``
are indexed, so each level is index lookups. Measured on a random graph of 100,000 CIs and 510,000
relations (worse than a layered CMDB: ~3,800 CIs within 5 hops): depth 5 p50 13 ms, p95 25 ms.
"""

from typing import NamedTuple

from django.core.exceptions import ValidationError
from django.db import connection
from django.utils.translation import gettext as _

from .attributes import clean_value
from .choices import CIType, ImpactDirection
from .models import CIClass, CIHistory, ConfigurationItem, RelationType

MAX_DEPTH = 10


class PathStep(NamedTuple):
    """One hop of an impact path: the relation followed and the CI it reached."""

    relation_id: int
    relation_type: RelationType
    ci: ConfigurationItem


class ImpactHit(NamedTuple):
    """A CI reached by the impact walk, at its shortest depth, with one shortest path from the start."""

    ci: ConfigurationItem
    depth: int
    path: tuple[PathStep, ...]


_IMPACT_SQL = """
WITH RECURSIVE walk(ci_id, depth, parent_id, relation_id, type_id) AS (
    SELECT %(start)s::bigint, 0, NULL::bigint, NULL::bigint, NULL::bigint
  UNION
    SELECT r.{next}, w.depth + 1, w.ci_id, r.id, r.relation_type_id
    FROM walk w
    JOIN cmdb_relation r ON r.{here} = w.ci_id
    WHERE w.depth < %(depth)s AND r.{next} <> %(start)s {type_filter}
)
SELECT DISTINCT ON (ci_id) ci_id, depth, relation_id, type_id, parent_id
FROM walk
WHERE depth > 0
ORDER BY ci_id, depth, relation_id
"""


def impact(
    ci: ConfigurationItem,
    *,
    direction: str = ImpactDirection.UPSTREAM,
    depth: int = 5,
    relation_types=None,
) -> list[ImpactHit]:
    """The CIs that depend on ``ci`` (upstream) or that it depends on (downstream), up to ``depth`` hops.

    Each reached CI comes once, at its shortest depth, with one shortest path; sorted by depth, then name.
    ``relation_types`` (RelationType objects or ids) limits the relations followed.
    """
    if direction not in ImpactDirection.values:
        raise ValueError(f"direction must be one of {ImpactDirection.values}")
    depth = max(0, min(int(depth), MAX_DEPTH))
    if depth == 0:
        return []
    here, next_ = ("target_id", "source_id") if direction == ImpactDirection.UPSTREAM else ("source_id", "target_id")
    params: dict = {"start": ci.pk, "depth": depth}
    type_filter = ""
    if relation_types is not None:
        params["types"] = [getattr(t, "pk", t) for t in relation_types]
        type_filter = "AND r.relation_type_id = ANY(%(types)s)"
    sql = _IMPACT_SQL.format(here=here, next=next_, type_filter=type_filter)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    if not rows:
        return []

    parents = {ci_id: (hops, relation_id, type_id, parent_id) for ci_id, hops, relation_id, type_id, parent_id in rows}
    # A listing needs a few columns; the classes come from their own small table rather than a join per row.
    items = ConfigurationItem.objects.only("name", "ci_class", "ci_type", "status", "environment").in_bulk(
        list(parents)
    )
    classes = CIClass.objects.in_bulk()
    for item in items.values():
        if item.ci_class_id is not None:
            item.ci_class = classes[item.ci_class_id]
    items[ci.pk] = ci
    types = RelationType.objects.in_bulk({row[3] for row in rows})

    def path_to(ci_id: int) -> tuple[PathStep, ...]:
        steps = []
        while ci_id in parents:
            _hops, relation_id, type_id, parent_id = parents[ci_id]
            steps.append(PathStep(relation_id, types[type_id], items[ci_id]))
            ci_id = parent_id
        return tuple(reversed(steps))

    hits = [ImpactHit(items[ci_id], hops, path_to(ci_id)) for ci_id, (hops, *_rest) in parents.items()]
    hits.sort(key=lambda hit: (hit.depth, hit.ci.name, hit.ci.pk))
    return hits


def impacted_services(ci: ConfigurationItem, *, depth: int = 5) -> list[ImpactHit]:
    """The business services that depend on ``ci``, directly or through other CIs, up to ``depth`` hops."""
    return [
        hit
        for hit in impact(ci, direction=ImpactDirection.UPSTREAM, depth=depth)
        if hit.ci.ci_type == CIType.BUSINESS_SERVICE
    ]


def filter_cis(
    ci_class: CIClass | None = None, attributes: dict | None = None, *, subclasses: bool = True, queryset=None
):
    """CIs of a class (and its subclasses) whose attributes equal the given values; answered by the GIN index.

    Filter values are typed like stored values ("8" finds 8 for a number attribute); a key the class does not
    define, or a value of the wrong type, raises ``ValidationError`` keyed by attribute.
    """
    qs = queryset if queryset is not None else ConfigurationItem.objects.all()
    qs = qs.select_related("ci_class")
    if ci_class is not None:
        qs = qs.of_class(ci_class, subclasses=subclasses)
    if not attributes:
        return qs
    definitions = {a.key: a for a in ci_class.effective_attributes()} if ci_class is not None else {}
    wanted, errors = {}, {}
    for key, value in attributes.items():
        if ci_class is None:
            wanted[key] = value
        elif key not in definitions:
            errors[key] = [_("%(key)s is not an attribute of %(class)s.") % {"key": key, "class": ci_class}]
        else:
            try:
                wanted[key] = clean_value(definitions[key], value)
            except ValidationError as error:
                errors[key] = error.messages
    if errors:
        raise ValidationError(errors)
    return qs.filter(attributes__contains=wanted)


def ci_history(ci: ConfigurationItem):
    """The CI's timeline, newest first, with who made each change."""
    return CIHistory.objects.filter(ci=ci).select_related("actor").order_by("-at", "-pk")
