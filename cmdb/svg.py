"""The impact picture as server-rendered SVG: a small layered layout, no JavaScript library.

The CI sits in the middle column; what depends on it (upstream) fills the columns to its left by depth, what
it depends on (downstream) the columns to its right. Each reached CI is drawn once, at its shortest depth,
with the relation that reached it (the last hop of its shortest path) as an arrow from the relation's source to
its target. Business services are highlighted. Every name is escaped.
"""

from __future__ import annotations

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import ngettext

from .choices import CIType

NODE_W, NODE_H = 170, 34
COL_GAP, ROW_GAP, PAD = 70, 14, 12
MAX_LABEL = 24
MAX_PER_COLUMN = 12


def _label(text: str) -> str:
    return text if len(text) <= MAX_LABEL else text[: MAX_LABEL - 1] + "…"


def _drawn(hits) -> list:
    """The hits worth drawing: per depth at most MAX_PER_COLUMN, business services first, then the nearest by name;
    with every CI on their paths, so each arrow has both ends (a core switch reaches thousands)."""
    drawn: dict[int, object] = {}
    per_depth: dict[int, int] = {}
    for hit in sorted(hits, key=lambda h: (h.ci.ci_type != CIType.BUSINESS_SERVICE, h.depth, h.ci.name, h.ci.pk)):
        if hit.ci.pk in drawn or per_depth.get(hit.depth, 0) >= MAX_PER_COLUMN:
            continue
        for hops, step in enumerate(hit.path, start=1):
            if step.ci.pk not in drawn:
                drawn[step.ci.pk] = type(hit)(step.ci, hops, hit.path[:hops])
                per_depth[hops] = per_depth.get(hops, 0) + 1
    return sorted(drawn.values(), key=lambda h: (h.depth, h.ci.name, h.ci.pk))


def impact_svg(ci, upstream, downstream) -> SafeString:
    """An SVG drawing of ``ci`` with its upstream and downstream ``ImpactResult`` (from selectors.analyse_impact).

    A column shows at most MAX_PER_COLUMN CIs (and those on their paths) and says how many more it leaves out.
    """
    counts = {-d: n for d, n in enumerate(upstream.per_depth, start=1)}
    counts.update(enumerate(downstream.per_depth, start=1))
    upstream, downstream = _drawn(upstream.hits), _drawn(downstream.hits)
    up_depth = max((h.depth for h in upstream), default=0)
    columns: dict[int, list] = {0: [ci]}
    for hit in upstream:
        columns.setdefault(-hit.depth, []).append(hit.ci)
    for hit in downstream:
        columns.setdefault(hit.depth, []).append(hit.ci)
    more = {column: counts.get(column, 0) - len(nodes) for column, nodes in columns.items() if column}
    rows = max(len(nodes) + (1 if more.get(column, 0) > 0 else 0) for column, nodes in columns.items())
    height = PAD * 2 + rows * NODE_H + (rows - 1) * ROW_GAP
    positions: dict[tuple[int, int], tuple[float, float]] = {}
    nodes_at: dict[tuple[int, int], object] = {}
    for column, nodes in columns.items():
        x = PAD + (column + up_depth) * (NODE_W + COL_GAP)
        shown = len(nodes) + (1 if more.get(column, 0) > 0 else 0)
        block = shown * NODE_H + (shown - 1) * ROW_GAP
        top = (height - block) / 2
        for index, node in enumerate(nodes):
            positions[(column, node.pk)] = (x, top + index * (NODE_H + ROW_GAP))
            nodes_at[(column, node.pk)] = node
    width = PAD * 2 + (max(columns) - min(columns) + 1) * NODE_W + (max(columns) - min(columns)) * COL_GAP

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="cmdb-impact-svg" role="img" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="12">',
        '<defs><marker id="cmdb-arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="8" markerHeight="8" '
        'orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#6c757d"/></marker></defs>',
    ]
    for sign, hits in ((-1, upstream), (1, downstream)):
        for hit in hits:
            parent = hit.path[-2].ci if len(hit.path) > 1 else ci
            parent_col = sign * (hit.depth - 1)
            child = positions[(sign * hit.depth, hit.ci.pk)]
            other = positions[(parent_col, parent.pk)]
            # Upstream: the reached CI is the relation's source (it depends on the one before); downstream: target.
            left, right = (child, other) if sign < 0 else (other, child)
            x1, y1 = left[0] + NODE_W, left[1] + NODE_H / 2
            x2, y2 = right[0], right[1] + NODE_H / 2
            relation = escape(hit.path[-1].relation_type.name)
            parts.append(
                f'<g class="cmdb-edge"><line x1="{x1:.0f}" y1="{y1:.0f}" x2="{x2:.0f}" y2="{y2:.0f}" '
                f'stroke="#6c757d" stroke-width="1.2" marker-end="url(#cmdb-arrow)"/>'
                f"<title>{relation}</title></g>"
            )
    for column, hidden in more.items():
        if hidden > 0:
            x = PAD + (column + up_depth) * (NODE_W + COL_GAP)
            y = positions[(column, columns[column][-1].pk)][1] + NODE_H + ROW_GAP
            label = escape(ngettext("+%(count)s more", "+%(count)s more", hidden) % {"count": f"{hidden:,}"})
            parts.append(
                f'<g class="cmdb-more"><text x="{x + NODE_W / 2:.0f}" y="{y + NODE_H / 2 + 4:.0f}" '
                f'text-anchor="middle" fill="#6c757d">{label}</text></g>'
            )
    for key, (x, y) in positions.items():
        column, node = key[0], nodes_at[key]
        is_service = node.ci_type == CIType.BUSINESS_SERVICE
        classes = "cmdb-node" + (" cmdb-service" if is_service else "") + (" cmdb-start" if column == 0 else "")
        fill = "#fff3cd" if is_service else ("#cfe2ff" if column == 0 else "#f8f9fa")
        stroke = "#997404" if is_service else ("#0a58ca" if column == 0 else "#adb5bd")
        name = escape(node.name)
        parts.append(
            f'<g class="{classes}" data-ci="{node.pk}"><title>{name}</title>'
            f'<rect x="{x:.0f}" y="{y:.0f}" width="{NODE_W}" height="{NODE_H}" rx="6" fill="{fill}" '
            f'stroke="{stroke}" stroke-width="{2 if is_service or column == 0 else 1}"/>'
            f'<text x="{x + NODE_W / 2:.0f}" y="{y + NODE_H / 2 + 4:.0f}" text-anchor="middle">'
            f"{escape(_label(node.name))}</text></g>"
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every text above is escaped
