"""Relations between CIs found by class and identifier (or name), checked like services.add_relation."""

from django.db import transaction
from django.utils.translation import gettext as _

from ..models import Relation, RelationType
from .catalog import Catalog
from .plan import cell
from .report import ImportReport, RowResult
from .write import WRITE_PAGE, copy_history

# -- relations ------------------------------------------------------------------------------------------------


def _find_ci(catalog: Catalog, class_name: str, ref: str) -> tuple[int | None, str | None]:
    view = catalog.classes.get(cell(class_name).casefold())
    if view is None:
        return None, _("Unknown class %(class)s.") % {"class": cell(class_name) or "-"}
    ref = cell(ref)
    for attribute, _scope in view.identifiers:
        pk = catalog.ids[(attribute.ci_class_id, attribute.key)].get(ref)
        if pk is not None:
            return pk, None
    pk = catalog.names.get((view.kind, ref))
    if pk is None:
        return None, _("No %(class)s is identified or called %(ref)s.") % {"class": view.name, "ref": ref or "-"}
    return pk, None


def import_relations(rows, catalog: Catalog, report: ImportReport, actor_id: int | None, dry_run: bool) -> None:
    """Relations between CIs found by class and identifier (or name): created, unchanged (it exists: a re-import
    changes nothing) or an error (unknown CI or type, a class pair the type does not allow, a repeat in the file)."""
    types = catalog.relation_types()
    existing = set(
        Relation.objects.values_list("source_id", "target_id", "relation_type_id").iterator(chunk_size=10000)
    )
    new: list[tuple[int, int, RelationType]] = []
    in_file: dict[tuple[int, int, int], int] = {}
    for line, row in rows:
        if not isinstance(row, dict):
            report.add(RowResult(line, "error", errors={"row": [_("A row must be an object.")]}), relation=True)
            continue
        label = f"{cell(row.get('source'))} {cell(row.get('relation'))} {cell(row.get('target'))}"
        errors = {}
        source, problem = _find_ci(catalog, row.get("source_class"), row.get("source"))
        if problem:
            errors["source"] = [problem]
        target, problem = _find_ci(catalog, row.get("target_class"), row.get("target"))
        if problem:
            errors["target"] = [problem]
        found = types.get(cell(row.get("relation")).casefold())
        if found is None:
            errors["relation"] = [_("Unknown relation type %(type)s.") % {"type": cell(row.get("relation")) or "-"}]
        if errors:
            report.add(RowResult(line, "error", label, errors=errors), relation=True)
            continue
        relation_type, pairs = found
        source_ci, target_ci = catalog.cis[source], catalog.cis[target]
        source_view, target_view = (
            catalog.by_pk.get(source_ci["ci_class_id"]),
            catalog.by_pk.get(target_ci["ci_class_id"]),
        )
        source_ids = source_view.lineage_ids if source_view else set()
        target_ids = target_view.lineage_ids if target_view else set()
        if source == target:
            errors["target"] = [_("A configuration item cannot be related to itself.")]
        elif not any((s is None or s in source_ids) and (t is None or t in target_ids) for s, t in pairs):
            errors["relation"] = [
                _("A %(source)s cannot be related to a %(target)s by “%(type)s”.")
                % {"source": source_view or "-", "target": target_view or "-", "type": relation_type}
            ]
        elif (source, target, relation_type.pk) in in_file:
            errors["row"] = [
                _("Line %(line)s already relates %(source)s and %(target)s by “%(type)s”.")
                % {
                    "line": in_file[(source, target, relation_type.pk)],
                    "source": source_ci["name"],
                    "type": relation_type,
                    "target": target_ci["name"],
                }
            ]
        if errors:
            report.add(RowResult(line, "error", label, errors=errors), relation=True)
            continue
        in_file[(source, target, relation_type.pk)] = line
        if (source, target, relation_type.pk) in existing:
            report.add(RowResult(line, "unchanged", label), relation=True)
            continue
        new.append((source, target, relation_type))
        report.add(RowResult(line, "created", label), relation=True)
    if dry_run or not new:
        return
    with transaction.atomic():
        Relation.objects.bulk_create(
            [Relation(source_id=s, target_id=t, relation_type=rt, created_by_id=actor_id) for s, t, rt in new],
            batch_size=WRITE_PAGE,
        )
        history = []
        for s, t, rt in new:
            history.append(
                (s, actor_id, "relation", None, {"relation": rt.name, "ci": t, "name": catalog.cis[t]["name"]})
            )
            history.append(
                (t, actor_id, "relation", None, {"relation": rt.reverse_name, "ci": s, "name": catalog.cis[s]["name"]})
            )
        copy_history(history)
