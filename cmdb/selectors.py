"""Reads of the CMDB shared by pages and APIs: impact analysis over the relation graph, attribute filters, history.

**Impact analysis.** A relation reads "source <type> target" with the source depending on the target
(app01 *runs on* srv01, Email *depends on* app01). From a CI, *upstream* is what depends on it (follow
relations backwards, target → source: srv01's upstream holds app01 and Email) and *downstream* is what it
depends on (source → target).

One ``WITH RECURSIVE`` query walks the graph breadth-first. It carries only (CI, depth) and uses ``UNION``,
which drops a row already produced, so each CI enters a level once however many paths reach it, and the
depth limit ends the walk on cycles (A → B → C → A) too; the work is bounded by the relations reached times
the depth, not by the number of paths (a path array per row would enumerate every simple path, which grows
exponentially with fan-in). The same statement then keeps each CI's shortest depth and picks, for each, one
relation from a CI one level nearer; following those back gives a shortest relation path. Both ends of
``cmdb_relation`` are indexed with the type, so each level is index lookups.
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
WITH RECURSIVE walk(ci_id, depth) AS (
    SELECT %(start)s::bigint, 0
  UNION
    SELECT r.{next}, w.depth + 1
    FROM walk w
    JOIN cmdb_relation r ON r.{here} = w.ci_id
    WHERE w.depth < %(depth)s AND r.{next} <> %(start)s {type_filter}
),
reached AS (
    SELECT ci_id, min(depth) AS depth FROM walk GROUP BY ci_id
)
SELECT DISTINCT ON (c.ci_id) c.ci_id, c.depth, r.id, r.relation_type_id, r.{here}
FROM reached c
JOIN cmdb_relation r ON r.{next} = c.ci_id {type_filter}
JOIN reached p ON p.ci_id = r.{here} AND p.depth = c.depth - 1
WHERE c.depth > 0
ORDER BY c.ci_id, r.id
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
    items = ConfigurationItem.objects.select_related("ci_class").in_bulk(list(parents))
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
