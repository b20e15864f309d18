"""The CMDB loaded once per import: classes with their attribute definitions, identifier and name maps."""

from django.contrib.auth import get_user_model

from ..models import CIAttribute, CIClass, ConfigurationItem, RelationType, RelationTypePair
from .files import PLAIN_FIELDS

# -- the pre-loaded CMDB ---------------------------------------------------------------------------------------


class ClassView:
    """A class with its effective attributes loaded once (``validate_attributes`` asks for them per row)."""

    def __init__(self, ci_class: CIClass, attributes: list[CIAttribute], identifiers: list[tuple[CIAttribute, set]]):
        self.obj, self.pk, self.name, self.kind = ci_class, ci_class.pk, ci_class.name, ci_class.kind
        self._attributes = attributes
        self.keys = {a.key for a in attributes}
        self.required = [a for a in attributes if a.required]
        self.identifiers = identifiers  # (attribute, class ids of its defining subtree)
        self.lineage_ids: set[int] = set()

    def effective_attributes(self) -> list[CIAttribute]:
        return self._attributes

    def __str__(self) -> str:
        return self.name


class Catalog:
    """Classes, identifier and name maps, and (lazily) relation types, built from a few queries."""

    def __init__(self):
        classes = {c.pk: c for c in CIClass.objects.all()}
        by_class: dict[int, list[CIAttribute]] = {}
        for attribute in CIAttribute.objects.select_related("ci_class", "reference_class"):
            by_class.setdefault(attribute.ci_class_id, []).append(attribute)
        children: dict[int | None, list[int]] = {}
        for c in classes.values():
            children.setdefault(c.parent_id, []).append(c.pk)

        def subtree(pk):
            found, todo = {pk}, [pk]
            while todo:
                for child in children.get(todo.pop(), ()):
                    if child not in found:
                        found.add(child)
                        todo.append(child)
            return found

        def lineage(c):
            chain, seen = [], set()
            while c is not None and c.pk not in seen:
                chain.append(c)
                seen.add(c.pk)
                c = classes.get(c.parent_id)
            return chain[::-1]

        self.classes: dict[str, ClassView] = {}
        self.by_pk: dict[int, ClassView] = {}
        subtrees: dict[int, set] = {}
        for c in classes.values():
            attrs, keys = [], set()
            for node in lineage(c):
                for a in sorted(by_class.get(node.pk, []), key=lambda a: (a.position, a.key)):
                    if a.key not in keys:
                        keys.add(a.key)
                        attrs.append(a)
            identifiers = [
                (a, subtrees.setdefault(a.ci_class_id, subtree(a.ci_class_id))) for a in attrs if a.is_identifier
            ]
            view = ClassView(c, attrs, identifiers)
            view.lineage_ids = {n.pk for n in lineage(c)}
            self.classes[c.name.casefold()] = self.by_pk[c.pk] = view
        # Identifier maps: (defining class id, key) -> value -> CI id; names: (type, name) -> CI id.
        self.ids: dict[tuple[int, str], dict] = {}
        for view in self.by_pk.values():
            for attribute, _scope in view.identifiers:
                self.ids.setdefault((attribute.ci_class_id, attribute.key), {})
        self.names: dict[tuple[str, str], int] = {}
        self.cis: dict[int, dict] = {}
        self._next_placeholder = -1
        self._relation_types = None
        self._users: dict[str, int] | None = None
        self.usernames: dict[int, str] = {}

    def load_cis(self) -> None:
        """Every CI's fields and attributes (one query): the reconciliation reads them, not the database per row."""
        columns = ("pk", "ci_class_id", "ci_type", *PLAIN_FIELDS, "owned_by_id", "attributes")
        for values in ConfigurationItem.objects.order_by().values_list(*columns).iterator(chunk_size=5000):
            ci = dict(zip(columns, values, strict=True))
            self.remember(ci)

    def remember(self, ci: dict) -> None:
        self.cis[ci["pk"]] = ci
        self.names[(ci["ci_type"], ci["name"])] = ci["pk"]
        view = self.by_pk.get(ci["ci_class_id"])
        if view is None:
            return
        for attribute, _scope in view.identifiers:
            value = (ci["attributes"] or {}).get(attribute.key)
            if value not in (None, ""):
                self.ids[(attribute.ci_class_id, attribute.key)][value] = ci["pk"]

    def forget(self, ci: dict) -> None:
        self.names.pop((ci["ci_type"], ci["name"]), None)
        view = self.by_pk.get(ci["ci_class_id"])
        for attribute, _scope in view.identifiers if view else ():
            value = (ci["attributes"] or {}).get(attribute.key)
            if value not in (None, ""):
                self.ids[(attribute.ci_class_id, attribute.key)].pop(value, None)

    def owner_id(self, text: str) -> int | None:
        """The active user a row's owned_by names (username, else a unique email address), or None."""
        if self._users is None:
            self._users, self.usernames, emails = {}, {}, {}
            rows = get_user_model().objects.values_list("pk", "username", "email", "is_active")
            for pk, username, email, is_active in rows.iterator(chunk_size=5000):
                self.usernames[pk] = username
                if is_active:
                    self._users[username.casefold()] = pk
                    if email:
                        emails.setdefault(email.casefold(), set()).add(pk)
            for email, pks in emails.items():
                if len(pks) == 1:
                    self._users.setdefault(email, next(iter(pks)))
        return self._users.get(text.casefold())

    def username(self, pk: int | None) -> str | None:
        """The username of a stored owner, for the history (loaded with the owners on first use)."""
        if pk is None:
            return None
        if self._users is None:
            self.owner_id("")
        return self.usernames.get(pk)

    def placeholder(self) -> int:
        """A negative id for a CI a dry run would create (relations of the same file can point at it)."""
        self._next_placeholder -= 1
        return self._next_placeholder

    def relation_types(self) -> dict[str, tuple[RelationType, list]]:
        if self._relation_types is None:
            pairs: dict[int, list] = {}
            for pair in RelationTypePair.objects.all():
                pairs.setdefault(pair.relation_type_id, []).append((pair.source_class_id, pair.target_class_id))
            self._relation_types = {t.name.casefold(): (t, pairs.get(t.pk, [])) for t in RelationType.objects.all()}
        return self._relation_types
