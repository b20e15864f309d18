"""Write catalog items as one JSON file (the format `import_catalog` and the admin import read)."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from requests_catalog.models import CatalogItem
from requests_catalog.transfer import export_items, to_json


class Command(BaseCommand):
    help = "Export catalog items (all of them when no slug is given) as JSON, to a file or standard output."

    def add_arguments(self, parser):
        parser.add_argument("slugs", nargs="*", metavar="slug", help="Items to export; all items when none.")
        parser.add_argument("-o", "--output", help="File to write; standard output when omitted.")

    def handle(self, *args, slugs, output, **options):
        items = CatalogItem.objects.order_by("slug")
        if slugs:
            items = items.filter(slug__in=slugs)
            missing = sorted(set(slugs) - set(items.values_list("slug", flat=True)))
            if missing:
                raise CommandError(f"No catalog item with slug {', '.join(missing)}.")
        text = to_json(export_items(items)) + "\n"
        if output:
            Path(output).write_text(text, encoding="utf-8")
            self.stderr.write(f"Exported {items.count()} item(s) to {output}.")
        else:
            self.stdout.write(text, ending="")
