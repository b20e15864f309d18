"""The CMDB: CI classes with typed, inherited attributes; configuration items; their history and typed relations.

**Why attributes live in one JSONB column (``ConfigurationItem.attributes``) with a GIN index.**
The attribute set is configured in admin per class, so it changes without migrations. A typed
entity-attribute-value table (one row per CI and attribute) would need one join per filtered attribute
and 10-20 rows per CI (1-2 million rows at 100,000 CIs), and every list page would pivot them back. JSONB
keeps a CI in one row; the values are cleaned to their JSON type before they are stored
(numbers as JSON numbers, dates as ISO text, IP addresses in their canonical form, references as CI ids),
so containment (``attributes @> '{"os": "Debian 12"}'``) is an exact, typed match, and a GIN index with the
``jsonb_path_ops`` operator class (smaller and faster than the default ``jsonb_ops`` for ``@>``) answers it
from the index whatever the key. What JSONB does not give is range queries on one key through that index
(``cpu_count > 8``): those are rare in a CMDB and can get an expression index on that key when a page needs one.

**What the database enforces and what the service does.** Identifier attributes (hostname, serial number)
are unique within the class that defines them and all its subclasses (a Linux and a Windows server share
the Server host names). Which keys are identifiers is configuration, and the scope is a subtree of
classes, so no static unique index can say it; ``services`` checks it under a transaction-level advisory
lock per (defining class, key), which serialises concurrent writers of the same identifier. Relations are
unique per (source, target, type) and never point at their own CI in the database itself.

**Owner group** is the name of the support group that owns the CI (``owner_group``), not a foreign key:
the CMDB is the bottom layer and must not depend on ``servicedesk`` (a string FK to
``servicedesk.AssignmentGroup`` would make this app's migrations depend on it), and AssignmentGroup is not
an ``auth.Group``. The desk resolves the name against its assignment groups.
"""

from django.conf import settings
from django.contrib.postgres.indexes import GinIndex
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from .choices import AttributeType, CIStatus, CIType, Environment

__all__ = [
    "AttributeType",
    "CIAttribute",
    "CIClass",
    "CIHistory",
    "CIStatus",
    "CIType",
    "ConfigurationItem",
    "Environment",
    "Relation",
    "RelationType",
    "RelationTypePair",
]


class CIClass(models.Model):
    """A class of configuration items in a tree (Hardware > Server > Linux Server); attributes inherit down."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    parent = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="children", verbose_name=_("parent")
    )
    kind = models.CharField(
        _("CI type"),
        max_length=32,
        choices=CIType.choices,
        default=CIType.OTHER,
        help_text=_("The broad type this class stands for; tickets and catalog forms filter CIs by it."),
    )
    description = models.TextField(_("description"), blank=True)
    offered_to_all = models.BooleanField(
        _("offered to everyone"),
        default=False,
        help_text=_(
            "End users may pick CIs of this class in portal and catalog forms without owning them (business "
            "services, say). CIs of other classes they see only when they own them."
        ),
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("CI class")
        verbose_name_plural = _("CI classes")

    def __str__(self) -> str:
        return self.name

    def ancestors(self) -> list["CIClass"]:
        """The class's ancestors, the root first (the tree is small and shallow)."""
        chain, seen, node = [], {self.pk}, self.parent
        while node is not None and node.pk not in seen:
            chain.append(node)
            seen.add(node.pk)
            node = node.parent
        return chain[::-1]

    def lineage(self) -> list["CIClass"]:
        """The root first, this class last."""
        return [*self.ancestors(), self]

    def descendant_ids(self) -> set[int]:
        """This class's id and the ids of all classes below it."""
        children: dict[int | None, list[int]] = {}
        for pk, parent_id in CIClass.objects.values_list("pk", "parent_id"):
            children.setdefault(parent_id, []).append(pk)
        found, todo = {self.pk}, [self.pk]
        while todo:
            for child in children.get(todo.pop(), ()):
                if child not in found:
                    found.add(child)
                    todo.append(child)
        return found

    def is_a(self, other: "CIClass") -> bool:
        """True when this class is ``other`` or one of its subclasses."""
        return any(c.pk == other.pk for c in self.lineage())

    def effective_attributes(self) -> list["CIAttribute"]:
        """The attribute definitions of the root first down to this class; an ancestor's key wins."""
        lineage = self.lineage()
        by_class: dict[int, list[CIAttribute]] = {c.pk: [] for c in lineage}
        for attribute in CIAttribute.objects.filter(ci_class__in=[c.pk for c in lineage]).select_related(
            "ci_class", "reference_class"
        ):
            by_class[attribute.ci_class_id].append(attribute)
        result, keys = [], set()
        for cls in lineage:
            for attribute in sorted(by_class[cls.pk], key=lambda a: (a.position, a.key)):
                if attribute.key not in keys:
                    keys.add(attribute.key)
                    result.append(attribute)
        return result

    def clean(self):
        if self.pk and self.parent_id:
            node = self.parent
            while node is not None:
                if node.pk == self.pk:
                    raise ValidationError({"parent": _("A class cannot sit below itself.")})
                node = node.parent


class CIAttribute(models.Model):
    """A typed attribute a class defines for its CIs and its subclasses' CIs."""

    ci_class = models.ForeignKey(
        CIClass, on_delete=models.CASCADE, related_name="attribute_definitions", verbose_name=_("class")
    )
    key = models.SlugField(_("key"), max_length=64, allow_unicode=False)
    label = models.CharField(_("label"), max_length=100)
    type = models.CharField(_("type"), max_length=16, choices=AttributeType.choices, default=AttributeType.TEXT)
    required = models.BooleanField(_("required"), default=False)
    choices = models.JSONField(
        _("choices"), default=list, blank=True, help_text=_("For choice attributes: the allowed values, a list.")
    )
    is_identifier = models.BooleanField(
        _("unique identifier"),
        default=False,
        help_text=_("Unique among the CIs of this class and its subclasses; used to reconcile imports."),
    )
    reference_class = models.ForeignKey(
        CIClass,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("referenced class"),
        help_text=_("For references: the class (or a subclass) the referenced CI must be of; empty for any."),
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["ci_class", "position", "key"]
        verbose_name = _("CI attribute")
        verbose_name_plural = _("CI attributes")
        constraints = [models.UniqueConstraint(fields=["ci_class", "key"], name="ci_attribute_unique_key")]

    def __str__(self) -> str:
        return f"{self.ci_class}.{self.key}"

    def clean(self):
        errors = {}
        if self.type == AttributeType.CHOICE and (
            not isinstance(self.choices, list) or not self.choices or not all(isinstance(c, str) for c in self.choices)
        ):
            errors["choices"] = _("A choice attribute needs a non-empty list of text values.")
        if self.type != AttributeType.REFERENCE and self.reference_class_id:
            errors["reference_class"] = _("Only a reference attribute names a referenced class.")
        if self.ci_class_id and self.key:
            related = {c.pk for c in self.ci_class.ancestors()} | self.ci_class.descendant_ids()
            clash = (
                CIAttribute.objects.filter(ci_class__in=related, key=self.key)
                .exclude(ci_class=self.ci_class_id)
                .select_related("ci_class")
                .first()
            )
            if clash is not None:
                errors["key"] = _(
                    "%(class)s already defines %(key)s; a subclass inherits it and cannot redefine it."
                ) % {
                    "class": clash.ci_class,
                    "key": self.key,
                }
        if errors:
            raise ValidationError(errors)


class ConfigurationItemQuerySet(models.QuerySet):
    def services(self):
        return self.filter(ci_type=CIType.BUSINESS_SERVICE)

    def in_use(self):
        return self.exclude(status=CIStatus.RETIRED)

    def visible_to(self, user):
        """The CIs in use this user may pick in forms: all for CMDB readers (the desk), else their own CIs and
        those of classes offered to everyone (business services)."""
        items = self.in_use()
        if not getattr(user, "is_authenticated", False):  # nobody (None) or anonymous: nothing, never everything
            return items.none()
        if user.has_perm("cmdb.read_cmdb"):
            return items
        return items.filter(Q(owned_by=user) | Q(ci_class__offered_to_all=True))

    def of_class(self, ci_class: CIClass, *, subclasses: bool = True):
        return self.filter(ci_class__in=ci_class.descendant_ids()) if subclasses else self.filter(ci_class=ci_class)


class ConfigurationItem(models.Model):
    """Something the IT organisation runs: a business service, an application, a server …"""

    name = models.CharField(_("name"), max_length=200)
    ci_class = models.ForeignKey(
        CIClass, on_delete=models.PROTECT, null=True, blank=True, related_name="items", verbose_name=_("class")
    )
    # Denormalised from the class (CIClass.kind), so tickets and catalog forms filter by a plain column.
    ci_type = models.CharField(_("type"), max_length=32, choices=CIType.choices, default=CIType.OTHER)
    status = models.CharField(_("status"), max_length=16, choices=CIStatus.choices, default=CIStatus.IN_SERVICE)
    description = models.TextField(_("description"), blank=True)
    owner_group = models.CharField(
        _("owner group"), max_length=100, blank=True, help_text=_("The name of the support group that owns it.")
    )
    environment = models.CharField(
        _("environment"), max_length=16, choices=Environment.choices, default=Environment.PRODUCTION
    )
    location = models.CharField(_("location"), max_length=200, blank=True)
    owned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="owned_cis",
        verbose_name=_("owned by"),
        help_text=_("The person who uses it (a laptop's user); they may pick it in portal and catalog forms."),
    )
    attributes = models.JSONField(_("attributes"), default=dict, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = ConfigurationItemQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("configuration item")
        verbose_name_plural = _("configuration items")
        constraints = [models.UniqueConstraint(fields=["ci_type", "name"], name="ci_unique_name_per_type")]
        indexes = [
            # fastupdate off: a bulk import's new rows would otherwise wait in the GIN pending list, which every
            # lookup scans in full (the import's identifier re-check took 186 s instead of 28 s for 100k CIs).
            GinIndex(fields=["attributes"], name="ci_attributes_gin", opclasses=["jsonb_path_ops"], fastupdate=False),
            models.Index(fields=["ci_class", "status"], name="ci_class_status"),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        # The class decides the type; a CI made the old way (a type, no class) gets that type's default class.
        if self.ci_class_id is not None:
            self.ci_type = self.ci_class.kind
        elif self.ci_type and self.ci_type != CIType.OTHER:
            self.ci_class = default_class_for(self.ci_type)
        if kwargs.get("update_fields") is not None:
            kwargs["update_fields"] = {*kwargs["update_fields"], "ci_type", "ci_class", "updated_at"}
        super().save(*args, **kwargs)


def default_class_for(ci_type: str) -> CIClass | None:
    """The topmost class standing for a CI type (Server for servers), or None."""
    classes = list(CIClass.objects.filter(kind=ci_type).select_related("parent"))
    tops = [c for c in classes if c.parent is None or c.parent.kind != ci_type]
    return min(tops, key=lambda c: c.pk, default=None)


class CIHistory(models.Model):
    """One changed field of one CI (attributes as ``attributes.<key>``): who, when, old, new. Append-only."""

    ci = models.ForeignKey(ConfigurationItem, on_delete=models.CASCADE, related_name="history", verbose_name=_("CI"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("changed by"),
    )
    at = models.DateTimeField(_("when"), auto_now_add=True, db_index=True)
    field = models.CharField(_("field"), max_length=100)
    old_value = models.JSONField(_("old value"), null=True, blank=True)
    new_value = models.JSONField(_("new value"), null=True, blank=True)

    class Meta:
        ordering = ["-at", "-pk"]
        verbose_name = _("CI history entry")
        verbose_name_plural = _("CI history")
        indexes = [models.Index(fields=["ci", "-at"], name="cihistory_ci_at")]

    def __str__(self) -> str:
        return f"{self.ci_id} {self.field}: {self.old_value!r} → {self.new_value!r}"


class RelationType(models.Model):
    """A directed kind of relation, read source → target ("runs on") and back ("runs")."""

    name = models.CharField(_("name"), max_length=60, unique=True)
    reverse_name = models.CharField(_("reverse name"), max_length=60)
    description = models.TextField(_("description"), blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("relation type")
        verbose_name_plural = _("relation types")

    def __str__(self) -> str:
        return self.name

    def allows(self, source_class: CIClass | None, target_class: CIClass | None) -> bool:
        """True when some allowed pair covers these classes (a pair's class includes its subclasses)."""
        source_ids = {c.pk for c in source_class.lineage()} if source_class else set()
        target_ids = {c.pk for c in target_class.lineage()} if target_class else set()
        return any(
            (pair.source_class_id is None or pair.source_class_id in source_ids)
            and (pair.target_class_id is None or pair.target_class_id in target_ids)
            for pair in self.allowed_pairs.all()
        )


class RelationTypePair(models.Model):
    """A (source class, target class) pair a relation type may join; subclasses included, empty means any."""

    relation_type = models.ForeignKey(
        RelationType, on_delete=models.CASCADE, related_name="allowed_pairs", verbose_name=_("relation type")
    )
    source_class = models.ForeignKey(
        CIClass, on_delete=models.CASCADE, null=True, blank=True, related_name="+", verbose_name=_("source class")
    )
    target_class = models.ForeignKey(
        CIClass, on_delete=models.CASCADE, null=True, blank=True, related_name="+", verbose_name=_("target class")
    )

    class Meta:
        verbose_name = _("allowed class pair")
        verbose_name_plural = _("allowed class pairs")
        constraints = [
            models.UniqueConstraint(
                fields=["relation_type", "source_class", "target_class"],
                name="relation_pair_unique",
                nulls_distinct=False,
            )
        ]

    def __str__(self) -> str:
        return f"{self.source_class or '*'} {self.relation_type} {self.target_class or '*'}"


class Relation(models.Model):
    """A directed, typed relation between two CIs: source <type> target (app01 runs on srv01)."""

    # Not indexed alone: relation_unique starts with the source, relation_target_covering with the target.
    source = models.ForeignKey(
        ConfigurationItem,
        on_delete=models.CASCADE,
        related_name="outgoing_relations",
        verbose_name=_("source"),
        db_index=False,
    )
    target = models.ForeignKey(
        ConfigurationItem,
        on_delete=models.CASCADE,
        related_name="incoming_relations",
        verbose_name=_("target"),
        db_index=False,
    )
    relation_type = models.ForeignKey(
        RelationType, on_delete=models.PROTECT, related_name="relations", verbose_name=_("type")
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("relation")
        verbose_name_plural = _("relations")
        constraints = [
            models.UniqueConstraint(fields=["source", "target", "relation_type"], name="relation_unique"),
            models.CheckConstraint(condition=~Q(source=F("target")), name="relation_not_to_itself"),
        ]
        # The impact walk follows edges from either end, filtered by type, reading the index alone: downstream
        # (source -> target) from relation_unique, upstream (target -> source) from this one, which carries the
        # source along (an index-only scan instead of a heap fetch per relation: a core switch's level 4 reads
        # 87,000 relations).
        indexes = [
            models.Index(fields=["target", "relation_type"], include=["source"], name="relation_target_covering"),
        ]

    def __str__(self) -> str:
        return f"{self.source} {self.relation_type} {self.target}"
