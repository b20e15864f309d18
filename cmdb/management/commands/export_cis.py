"""Export CIs (and the relations among them) as CSV or JSON, in the format import_cis reads."""

import json
from pathlib import Path

from django.core.management.base import BaseCommand

from cmdb.imports import export_document, relations_to_csv, to_csv


class Command(BaseCommand):
    help = "Export CIs as CSV (relations to a second file with --relations) or JSON (cis and relations)."

    def add_arguments(self, parser):
        parser.add_argument("path", help="The file to write ('-' for standard output).")
        parser.add_argument("--format", choices=["csv", "json"], help="Default: from the file's extension.")
        parser.add_argument("--relations", help="CSV only: where to write the relations.")

    def handle(self, *args, path, format, relations, **options):
        fmt = format or ("json" if path.lower().endswith(".json") else "csv")
        document = export_document()
        if fmt == "json":
            text = json.dumps(document, ensure_ascii=False, indent=1, default=str)
        else:
            text = to_csv(document["cis"])
            if relations:
                Path(relations).write_text(relations_to_csv(document["relations"]), encoding="utf-8")
        if path == "-":
            self.stdout.write(text)
        else:
            Path(path).write_text(text, encoding="utf-8")
            self.stdout.write(f"Exported {len(document['cis'])} CIs and {len(document['relations'])} relations.")
