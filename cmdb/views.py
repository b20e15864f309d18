"""CMDB desk pages: browse CIs by class with attribute filters, and a CI's page (attributes, relations, history,
impact as a list and a picture, and the tickets other apps show on it). Read only: editing stays in admin."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from . import selectors
from .choices import CIStatus, Environment, ImpactDirection
from .models import CIClass, ConfigurationItem, Relation
from .registry import ci_sections
from .svg import impact_svg

PER_PAGE = 25
DEPTHS = (1, 2, 3, 4, 5)
DEFAULT_DEPTH = 3
HISTORY_ROWS = 50
# The impact lists show the nearest CIs; the counts and the business services reached are always complete.
IMPACT_ROWS = 100


def reader_required(view):
    """Logged in and reading the CMDB (desk engineers, CMDB and Change Managers); anyone else gets 403."""

    @login_required
    def wrapped(request: HttpRequest, *args, **kwargs):
        if not request.user.has_perm("cmdb.read_cmdb"):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    wrapped.__name__ = view.__name__
    wrapped.__doc__ = view.__doc__
    return wrapped


def _class_tree(classes: list[CIClass]) -> list[tuple[CIClass, int]]:
    """The classes depth-first with their level, for the side tree (one query for all)."""
    children: dict[int | None, list[CIClass]] = {}
    for c in classes:
        children.setdefault(c.parent_id, []).append(c)
    out, stack = [], [(c, 0) for c in reversed(children.get(None, []))]
    while stack:
        node, level = stack.pop()
        out.append((node, level))
        stack.extend((c, level + 1) for c in reversed(children.get(node.pk, [])))
    return out


@reader_required
@require_GET
def ci_list(request: HttpRequest) -> HttpResponse:
    """CIs of the chosen class (and its subclasses), filtered by status, environment, name and attributes."""
    classes = list(CIClass.objects.all())
    chosen = next((c for c in classes if str(c.pk) == request.GET.get("class", "")), None)
    definitions = chosen.effective_attributes() if chosen else []
    wanted = {a.key: v.strip() for a in definitions if (v := request.GET.get(f"attr_{a.key}", "")).strip()}
    errors: dict = {}
    try:
        items = selectors.filter_cis(chosen, wanted)
    except ValidationError as error:
        errors, items = error.message_dict, ConfigurationItem.objects.none()
    status, environment, text = (request.GET.get(k, "").strip() for k in ("status", "environment", "q"))
    if status in CIStatus.values:
        items = items.filter(status=status)
    if environment in Environment.values:
        items = items.filter(environment=environment)
    if text:
        items = items.filter(Q(name__icontains=text))
    page = Paginator(items.order_by("name", "pk"), PER_PAGE).get_page(request.GET.get("page"))
    params = request.GET.copy()
    params.pop("page", None)
    return render(
        request,
        "cmdb/ci_list.html",
        {
            "tree": _class_tree(classes),
            "chosen": chosen,
            "attribute_filters": [(a, request.GET.get(f"attr_{a.key}", ""), errors.get(a.key)) for a in definitions],
            "errors": errors,
            "page": page,
            "statuses": CIStatus.choices,
            "environments": Environment.choices,
            "filters": {"status": status, "environment": environment, "q": text},
            "query": params.urlencode(),
        },
    )


def _attribute_rows(ci: ConfigurationItem, definitions: list) -> list[tuple[str, object, ConfigurationItem | None]]:
    """(label, value, referenced CI) for each effective attribute of the CI's class that has a value."""
    refs = [ci.attributes.get(a.key) for a in definitions if a.type == "reference"]
    referenced = ConfigurationItem.objects.in_bulk([r for r in refs if isinstance(r, int)]) if refs else {}
    rows = []
    for a in definitions:
        if a.key in ci.attributes:
            value = ci.attributes[a.key]
            rows.append((a.label, value, referenced.get(value) if a.type == "reference" else None))
    return rows


def _timeline(ci: ConfigurationItem, definitions: list) -> list:
    """The newest history rows, each with a readable ``label`` (field or attribute label, not its key) and
    ``old``/``new`` as text (a relation entry reads "runs on srv01")."""
    labels = {f.name: f.verbose_name for f in ConfigurationItem._meta.fields}
    labels.update({"class": _("class"), "relation": _("relation")})
    for attribute in definitions:
        labels[f"attributes.{attribute.key}"] = attribute.label

    def text(value):
        if isinstance(value, dict) and "relation" in value:
            return f"{value['relation']} {value.get('name', '')}".strip()
        return value

    entries = list(selectors.ci_history(ci)[:HISTORY_ROWS])
    for entry in entries:
        entry.label = labels.get(entry.field, entry.field)
        entry.old, entry.new = text(entry.old_value), text(entry.new_value)
    return entries


def _depth(request: HttpRequest) -> int:
    try:
        depth = int(request.GET.get("depth", DEFAULT_DEPTH))
    except ValueError:
        return DEFAULT_DEPTH
    return depth if depth in DEPTHS else DEFAULT_DEPTH


@reader_required
@require_GET
def ci_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One CI: attributes, relations both ways, history, impact (list and picture), and tickets on it."""
    ci = get_object_or_404(ConfigurationItem.objects.select_related("ci_class", "owned_by"), pk=pk)
    depth = _depth(request)
    upstream = selectors.analyse_impact(ci, direction=ImpactDirection.UPSTREAM, depth=depth, limit=IMPACT_ROWS)
    downstream = selectors.analyse_impact(ci, direction=ImpactDirection.DOWNSTREAM, depth=depth, limit=IMPACT_ROWS)
    context = {
        "ci": ci,
        "depth": depth,
        "depths": DEPTHS,
        "upstream": upstream,
        "downstream": downstream,
        "svg": impact_svg(ci, upstream, downstream),
        "impact_sides": [
            (_("Upstream (what depends on it)"), upstream, _("Nothing depends on it.")),
            (_("Downstream (what it depends on)"), downstream, _("It depends on nothing recorded.")),
        ],
    }
    if request.htmx:
        return render(request, "cmdb/_impact.html", context)
    definitions = ci.ci_class.effective_attributes() if ci.ci_class else []
    related = Relation.objects.select_related("relation_type", "source__ci_class", "target__ci_class")
    context.update(
        attributes=_attribute_rows(ci, definitions),
        outgoing=related.filter(source=ci).order_by("relation_type__name", "target__name"),
        incoming=related.filter(target=ci).order_by("relation_type__name", "source__name"),
        history=_timeline(ci, definitions),
        sections=[(s.template_name, s.context_fn(ci=ci, user=request.user)) for s in ci_sections()],
        can_manage=request.user.has_perm("cmdb.manage_cmdb"),
    )
    return render(request, "cmdb/ci_detail.html", context)
