"""The file formats: CSV (one column per attribute key; relations in a second CSV) and JSON, read and written."""

import csv
import io
import json

from django.utils.translation import gettext as _

from ..models import ConfigurationItem, Relation
from .report import ImportFileError

PLAIN_FIELDS = ("name", "status", "environment", "owner_group", "location", "description")
# owned_by: the owner's username (an email address is accepted on import).
FIXED_COLUMNS = ("class", *PLAIN_FIELDS, "owned_by")
RELATION_COLUMNS = ("source_class", "source", "relation", "target_class", "target")

# -- reading files --------------------------------------------------------------------------------------------


def decode(data: bytes | str) -> str:
    if isinstance(data, bytes):
        try:
            return data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise ImportFileError(_("The file is not UTF-8 text.")) from None
    return data


def read_ci_rows(data: bytes | str, fmt: str) -> tuple[list[tuple[int, dict]], list[tuple[int, dict]]]:
    """(line, row) pairs of CIs and of relations from a CSV (CIs only) or JSON document."""
    text = decode(data)
    if fmt == "json":
        try:
            document = json.loads(text)
        except json.JSONDecodeError as error:
            raise ImportFileError(_("The file is not JSON: %(error)s") % {"error": error}) from None
        if isinstance(document, list):
            document = {"cis": document}
        if not isinstance(document, dict):
            raise ImportFileError(_('Expected an object with "cis" and "relations".'))
        cis, relations = document.get("cis") or [], document.get("relations") or []
        if not isinstance(cis, list) or not isinstance(relations, list):
            raise ImportFileError(_('"cis" and "relations" must be lists.'))
        # A JSON row's "line" is its position in its list, from 1.
        return list(enumerate(cis, start=1)), list(enumerate(relations, start=1))
    if fmt != "csv":
        raise ImportFileError(_("Unknown format %(format)s.") % {"format": fmt})
    return csv_rows(text, required=("class", "name")), []


def read_relation_rows(data: bytes | str) -> list[tuple[int, dict]]:
    """(line, row) pairs of a relations CSV (source_class, source, relation, target_class, target)."""
    return csv_rows(decode(data), required=RELATION_COLUMNS)


def csv_rows(text: str, *, required: tuple[str, ...]) -> list[tuple[int, dict]]:
    reader = csv.DictReader(io.StringIO(text, newline=""))
    headers = [h.strip() for h in reader.fieldnames or []]
    missing = [c for c in required if c not in headers]
    if missing:
        raise ImportFileError(_("Missing columns: %(columns)s.") % {"columns": ", ".join(missing)})
    reader.fieldnames = headers
    # Line numbers are the file's (the header is line 1).
    return [(reader.line_num, {k: v for k, v in row.items() if k is not None}) for row in reader]


# -- export ----------------------------------------------------------------------------------------------------


def export_document(queryset=None) -> dict:
    """CIs and the relations among them as the JSON import reads them."""
    queryset = (queryset if queryset is not None else ConfigurationItem.objects.all()).select_related(
        "ci_class", "owned_by"
    )
    cis, ids = [], set()
    for ci in queryset.order_by("pk").iterator(chunk_size=5000):
        ids.add(ci.pk)
        cis.append(
            {
                "class": ci.ci_class.name if ci.ci_class else "",
                **{f: getattr(ci, f) for f in PLAIN_FIELDS},
                "owned_by": ci.owned_by.get_username() if ci.owned_by else "",
                "attributes": ci.attributes or {},
            }
        )
    return {"cis": cis, "relations": export_relations(ids)}


def _reference(ci: ConfigurationItem) -> str:
    """How an import finds the CI again: its first identifier value, else its name."""
    for attribute in ci.ci_class.effective_attributes() if ci.ci_class else ():
        if attribute.is_identifier and (ci.attributes or {}).get(attribute.key) not in (None, ""):
            return str(ci.attributes[attribute.key])
    return ci.name


def export_relations(ids: set[int]) -> list[dict]:
    relations = Relation.objects.filter(source__in=ids, target__in=ids).select_related(
        "source__ci_class", "target__ci_class", "relation_type"
    )
    return [
        {
            "source_class": r.source.ci_class.name if r.source.ci_class else "",
            "source": _reference(r.source),
            "relation": r.relation_type.name,
            "target_class": r.target.ci_class.name if r.target.ci_class else "",
            "target": _reference(r.target),
        }
        for r in relations.order_by("pk")
    ]


def to_csv(cis: list[dict]) -> str:
    """CIs as CSV: the fixed columns, then one column per attribute key."""
    keys = sorted({k for ci in cis for k in ci["attributes"]})
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([*FIXED_COLUMNS, *keys])
    for ci in cis:
        writer.writerow(
            [
                ci["class"],
                *(ci[f] for f in PLAIN_FIELDS),
                ci.get("owned_by", ""),
                *(_csv_value(ci["attributes"].get(k)) for k in keys),
            ]
        )
    return buffer.getvalue()


def relations_to_csv(relations: list[dict]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=RELATION_COLUMNS)
    writer.writeheader()
    writer.writerows(relations)
    return buffer.getvalue()


def _csv_value(value) -> str:
    return "" if value is None else str(value)
