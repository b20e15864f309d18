"""The report of an import: counts, and per row what changed or what was wrong."""

from dataclasses import dataclass, field


@dataclass
class RowResult:
    """What happened (or would happen) to one row: created / updated / unchanged / error."""

    line: int
    action: str
    label: str = ""
    changes: list = field(default_factory=list)
    errors: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {
            "line": self.line,
            "action": self.action,
            "label": self.label,
            "changes": self.changes,
            "errors": self.errors,
        }


@dataclass
class ImportReport:
    """Counts and per-row results of one import (rows that are unchanged are counted, not listed)."""

    dry_run: bool = False
    total: int = 0
    counts: dict = field(default_factory=lambda: {"created": 0, "updated": 0, "unchanged": 0, "error": 0})
    relation_counts: dict = field(default_factory=lambda: {"created": 0, "unchanged": 0, "error": 0})
    rows: list[RowResult] = field(default_factory=list)
    relation_rows: list[RowResult] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # file-level problems (unreadable file, unknown columns)

    @property
    def ok(self) -> bool:
        return not self.errors and not self.counts["error"] and not self.relation_counts["error"]

    @property
    def row_errors(self) -> list[RowResult]:
        return [r for r in (*self.rows, *self.relation_rows) if r.action == "error"]

    def add(self, result: RowResult, *, relation: bool = False) -> None:
        (self.relation_counts if relation else self.counts)[result.action] += 1
        if result.action != "unchanged":
            (self.relation_rows if relation else self.rows).append(result)

    def as_dict(self, *, changes_limit: int | None = None) -> dict:
        """The report as JSON data; ``changes_limit`` keeps every error row but only that many changed rows."""

        def listed(rows: list[RowResult]) -> list[dict]:
            kept, changed = [], 0
            for row in rows:
                if row.action != "error":
                    changed += 1
                    if changes_limit is not None and changed > changes_limit:
                        continue
                kept.append(row.as_dict())
            return kept

        rows, relation_rows = listed(self.rows), listed(self.relation_rows)
        return {
            "dry_run": self.dry_run,
            "ok": self.ok,
            "total": self.total,
            "counts": self.counts,
            "relation_counts": self.relation_counts,
            "errors": self.errors,
            "rows": rows,
            "relation_rows": relation_rows,
            "rows_left_out": len(self.rows) + len(self.relation_rows) - len(rows) - len(relation_rows),
        }


class ImportFileError(ValueError):
    """The file as a whole cannot be read (not CSV/JSON, missing columns)."""
