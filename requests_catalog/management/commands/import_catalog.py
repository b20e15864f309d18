"""Import catalog items from an export file and print the report; exits non-zero when anything is wrong."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from requests_catalog.transfer import ImportReport, import_items


class Command(BaseCommand):
    help = "Import catalog items from a JSON export. Nothing is written when any item has a problem."

    def add_arguments(self, parser):
        parser.add_argument("file", help="The export file (one item or several).")
        parser.add_argument("--dry-run", action="store_true", help="Check and report, but change nothing.")

    def handle(self, *args, file, dry_run, **options):
        try:
            data = Path(file).read_bytes()
        except OSError as error:
            raise CommandError(f"Cannot read {file}: {error.strerror}") from error
        report = import_items(data, dry_run=dry_run)
        self.print_report(report)
        if not report.ok:
            raise CommandError(f"Nothing was imported: {len(report.errors)} error(s).")

    def print_report(self, report: ImportReport) -> None:
        for message in report.errors:
            self.stderr.write(self.style.ERROR(f"error: {message}"))
        for message in report.warnings:
            self.stderr.write(self.style.WARNING(f"warning: {message}"))
        if not report.ok:
            return
        prefix = "would be " if report.dry_run else ""
        for label, slugs in (("created", report.created), ("updated", report.updated)):
            self.stdout.write(f"{prefix}{label}: {', '.join(slugs) or '-'}")
        self.stdout.write(f"unchanged: {', '.join(report.unchanged) or '-'}")
        if report.dry_run:
            self.stdout.write("Dry run: nothing was changed.")
