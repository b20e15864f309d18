"""Import CIs (and relations) from CSV or JSON and print the report; exits 1 when any row failed."""

from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from cmdb.imports import ImportReport, import_cis


class Command(BaseCommand):
    help = "Import CIs from CSV or JSON, reconciled on the class identifiers. Bad rows are skipped and reported."

    def add_arguments(self, parser):
        parser.add_argument("path", help="The CIs file (CSV, or JSON with cis and relations).")
        parser.add_argument("--format", choices=["csv", "json"], help="Default: from the file's extension.")
        parser.add_argument(
            "--relations", help="A relations CSV (source_class, source, relation, target_class, target)."
        )
        parser.add_argument("--dry-run", action="store_true", help="Report what would change; write nothing.")
        parser.add_argument("--actor", help="The username the history names (a CMDB Manager).")

    def handle(self, *args, path, format, relations, dry_run, actor, **options):
        fmt = format or ("json" if path.lower().endswith(".json") else "csv")
        user = None
        if actor:
            user = get_user_model().objects.filter(username=actor).first()
            if user is None:
                raise CommandError(f"No user {actor}.")
        try:
            data = Path(path).read_bytes()
            relations_data = Path(relations).read_bytes() if relations else None
        except OSError as error:
            raise CommandError(f"Cannot read {error.filename}: {error.strerror}") from error
        report = import_cis(data, fmt=fmt, actor=user, dry_run=dry_run, relations=relations_data)
        self.print_report(report)
        if not report.ok:
            raise SystemExit(1)

    def print_report(self, report: ImportReport) -> None:
        for message in report.errors:
            self.stderr.write(self.style.ERROR(f"error: {message}"))
        for result in report.row_errors:
            for key, messages in result.errors.items():
                for message in messages:
                    self.stderr.write(self.style.ERROR(f"line {result.line} ({result.label}): {key}: {message}"))
        prefix = "would be " if report.dry_run else ""
        counts = report.counts
        self.stdout.write(
            f"CIs: {prefix}created {counts['created']}, {prefix}updated {counts['updated']}, "
            f"unchanged {counts['unchanged']}, errors {counts['error']}"
        )
        relations = report.relation_counts
        if any(relations.values()):
            self.stdout.write(f"Relations: {prefix}created {relations['created']}, errors {relations['error']}")
        if report.dry_run:
            self.stdout.write("Dry run: nothing was changed.")
