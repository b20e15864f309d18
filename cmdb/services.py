"""Every write to the CMDB: one function per use case, one transaction each, permission-checked, with history.

Errors are Django's: ``PermissionDenied`` for a user who is not a CMDB Manager, ``ValidationError`` (with a
``message_dict`` keyed by field or attribute key) for bad input; nothing is saved when either is raised.
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.utils.translation import gettext as _

from .attributes import identifier_scopes, validate_attributes
from .choices import CIStatus, Environment
from .models import CIClass, CIHistory, ConfigurationItem, Relation, RelationType
from .rules import can_manage_cmdb

# The plain fields a service may change, in the order the timeline lists them.
PLAIN_FIELDS = ("name", "status", "environment", "owner_group", "location", "description")


def _require_manager(actor) -> None:
    if not can_manage_cmdb(actor):
        raise PermissionDenied(_("Only a CMDB Manager may change the CMDB."))


def _check_choices(values: dict) -> None:
    errors = {}
    if "status" in values and values["status"] not in CIStatus.values:
        errors["status"] = [_("Unknown status.")]
    if "environment" in values and values["environment"] not in Environment.values:
        errors["environment"] = [_("Unknown environment.")]
    if "name" in values and not str(values["name"] or "").strip():
        errors["name"] = [_("A configuration item needs a name.")]
    if errors:
        raise ValidationError(errors)


def _check_identifiers(ci_class: CIClass, attributes: dict, *, exclude_pk: int | None) -> None:
    """Each identifier value is unique in its defining class's subtree; locked so two writers cannot both pass."""
    errors = {}
    scopes = [(attribute, ids) for attribute, ids in identifier_scopes(ci_class) if attribute.key in attributes]
    with connection.cursor() as cursor:
        # Serialise writers of the same (defining class, key) until commit; readers are not blocked. Sorted, as the
        # import locks them, so two writers never hold one each and wait for the other.
        for class_id, key in sorted({(attribute.ci_class_id, attribute.key) for attribute, _ids in scopes}):
            cursor.execute("SELECT pg_advisory_xact_lock(%s, hashtext(%s))", [class_id, key])
    for attribute, class_ids in scopes:
        value = attributes[attribute.key]
        clash = (
            ConfigurationItem.objects.filter(ci_class__in=class_ids, attributes__contains={attribute.key: value})
            .exclude(pk=exclude_pk)
            .first()
        )
        if clash is not None:
            errors[attribute.key] = [
                _("%(label)s %(value)s is already used by %(ci)s.")
                % {"label": attribute.label, "value": value, "ci": clash}
            ]
    if errors:
        raise ValidationError(errors)


def _check_name(ci_class: CIClass, name: str, *, exclude_pk: int | None) -> None:
    if ConfigurationItem.objects.filter(ci_type=ci_class.kind, name=name).exclude(pk=exclude_pk).exists():
        raise ValidationError({"name": [_("Another %(type)s is called %(name)s.") % {"type": ci_class, "name": name}]})


def check_unique(*, ci_class: CIClass, name: str, attributes: dict, exclude_pk: int | None = None) -> None:
    """Raise ValidationError if the name or an identifier value is taken (forms call it for early errors)."""
    _check_name(ci_class, name, exclude_pk=exclude_pk)
    _check_identifiers(ci_class, attributes, exclude_pk=exclude_pk)


def _owner_label(user) -> str | None:
    """How the timeline names an owner: the username, which stays readable after the account is gone."""
    return None if user is None else user.get_username()


def _history(ci: ConfigurationItem, actor, changes: list[tuple[str, object, object]]) -> None:
    CIHistory.objects.bulk_create(
        CIHistory(ci=ci, actor=actor if getattr(actor, "pk", None) else None, field=f, old_value=o, new_value=n)
        for f, o, n in changes
    )


def _attribute_changes(old: dict, new: dict) -> list[tuple[str, object, object]]:
    return [
        (f"attributes.{key}", old.get(key), new.get(key))
        for key in sorted(old.keys() | new.keys())
        if old.get(key) != new.get(key)
    ]


@transaction.atomic
def create_ci(
    *,
    actor,
    ci_class: CIClass,
    name: str,
    status: str = CIStatus.IN_SERVICE,
    environment: str = Environment.PRODUCTION,
    owner_group: str = "",
    location: str = "",
    description: str = "",
    attributes: dict | None = None,
    owned_by=None,
) -> ConfigurationItem:
    """Create a CI of a class with its attributes validated and identifiers checked; history records its values."""
    _require_manager(actor)
    plain = {
        "name": (name or "").strip(),
        "status": status,
        "environment": environment,
        "owner_group": (owner_group or "").strip(),
        "location": (location or "").strip(),
        "description": description or "",
    }
    _check_choices(plain)
    cleaned = validate_attributes(ci_class, attributes)
    _check_name(ci_class, plain["name"], exclude_pk=None)
    _check_identifiers(ci_class, cleaned, exclude_pk=None)
    ci = ConfigurationItem.objects.create(ci_class=ci_class, attributes=cleaned, owned_by=owned_by, **plain)
    changes = [("class", None, ci_class.name)]
    changes += [(f, None, v) for f, v in plain.items() if v not in ("", None)]
    if owned_by is not None:
        changes.append(("owned_by", None, _owner_label(owned_by)))
    changes += _attribute_changes({}, cleaned)
    _history(ci, actor, changes)
    return ci


@transaction.atomic
def update_ci(*, actor, ci: ConfigurationItem, attributes: dict | None = None, **fields) -> ConfigurationItem:
    """Change a CI's fields and attributes (merged: a key given None or "" is removed); one history row each.

    ``fields`` may hold ``ci_class``, ``owned_by`` (a user or None) and the plain fields; a new class drops the
    values it does not define. The row is locked, so concurrent edits queue.
    """
    _require_manager(actor)
    unknown = set(fields) - {*PLAIN_FIELDS, "ci_class", "owned_by"}
    if unknown:
        raise TypeError(f"update_ci() cannot change {', '.join(sorted(unknown))}")
    locked = ConfigurationItem.objects.select_for_update(of=("self",)).select_related("ci_class").get(pk=ci.pk)
    _check_choices(fields)
    for text_field in ("name", "owner_group", "location"):
        if text_field in fields:
            fields[text_field] = (fields[text_field] or "").strip()
    new_class = fields.pop("ci_class", locked.ci_class) or locked.ci_class
    merged = dict(locked.attributes or {})
    if new_class != locked.ci_class:
        # A new class keeps the values it also defines; the others are dropped (and the history says so).
        kept = {a.key for a in new_class.effective_attributes()} if new_class else set()
        merged = {key: value for key, value in merged.items() if key in kept}
    for key, value in (attributes or {}).items():
        merged[key] = value
    cleaned = validate_attributes(new_class, merged)
    name = fields.get("name", locked.name)
    if new_class is not None and (name != locked.name or new_class != locked.ci_class):
        _check_name(new_class, name, exclude_pk=locked.pk)
    if new_class is not None:
        _check_identifiers(new_class, cleaned, exclude_pk=locked.pk)

    changes = []
    if new_class != locked.ci_class:
        changes.append(("class", getattr(locked.ci_class, "name", None), getattr(new_class, "name", None)))
        locked.ci_class = new_class
    for field in PLAIN_FIELDS:
        if field in fields and fields[field] != getattr(locked, field):
            changes.append((field, getattr(locked, field), fields[field]))
            setattr(locked, field, fields[field])
    if "owned_by" in fields and getattr(fields["owned_by"], "pk", None) != locked.owned_by_id:
        changes.append(("owned_by", _owner_label(locked.owned_by), _owner_label(fields["owned_by"])))
        locked.owned_by = fields["owned_by"]
    changes += _attribute_changes(locked.attributes or {}, cleaned)
    locked.attributes = cleaned
    if changes:
        locked.save()
        _history(locked, actor, changes)
    return locked


def retire_ci(*, actor, ci: ConfigurationItem) -> ConfigurationItem:
    """Mark a CI retired (kept with its history and relations; pickers stop offering it)."""
    return update_ci(actor=actor, ci=ci, status=CIStatus.RETIRED)


def _relation_entry(relation_type_name: str, other: ConfigurationItem) -> dict:
    return {"relation": relation_type_name, "ci": other.pk, "name": other.name}


@transaction.atomic
def add_relation(
    *, actor, source: ConfigurationItem, target: ConfigurationItem, relation_type: RelationType
) -> Relation:
    """Relate two CIs (source <type> target) if the type allows their classes; a duplicate is refused clearly."""
    _require_manager(actor)
    if source.pk == target.pk:
        raise ValidationError({"target": [_("A configuration item cannot be related to itself.")]})
    if not relation_type.allows(source.ci_class, target.ci_class):
        raise ValidationError(
            {
                "relation_type": [
                    _("A %(source)s cannot be related to a %(target)s by “%(type)s”.")
                    % {"source": source.ci_class or "-", "target": target.ci_class or "-", "type": relation_type}
                ]
            }
        )
    # Lock both ends in id order, so two writers relating the same pair queue instead of failing late.
    list(ConfigurationItem.objects.select_for_update().filter(pk__in=[source.pk, target.pk]).order_by("pk"))
    if Relation.objects.filter(source=source, target=target, relation_type=relation_type).exists():
        raise ValidationError(
            {
                "target": [
                    _("%(source)s already %(type)s %(target)s.")
                    % {"source": source, "type": relation_type, "target": target}
                ]
            }
        )
    relation = Relation.objects.create(
        source=source, target=target, relation_type=relation_type, created_by=actor if actor.pk else None
    )
    _history(source, actor, [("relation", None, _relation_entry(relation_type.name, target))])
    _history(target, actor, [("relation", None, _relation_entry(relation_type.reverse_name, source))])
    return relation


@transaction.atomic
def remove_relation(*, actor, relation: Relation) -> None:
    """Remove a relation; both CIs' history records it."""
    _require_manager(actor)
    relation = Relation.objects.select_related("source", "target", "relation_type").get(pk=relation.pk)
    relation_type = relation.relation_type
    _history(relation.source, actor, [("relation", _relation_entry(relation_type.name, relation.target), None)])
    _history(relation.target, actor, [("relation", _relation_entry(relation_type.reverse_name, relation.source), None)])
    relation.delete()
