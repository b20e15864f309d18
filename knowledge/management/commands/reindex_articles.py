"""manage.py reindex_articles: fill the search columns of every article again (after a change to jieba's dictionary)."""

from django.core.management.base import BaseCommand, CommandError

from knowledge import search


class Command(BaseCommand):
    help = "Index the published text of every live article again, in batches; clear the search columns of the others."

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=search.REINDEX_BATCH, help="articles per UPDATE")

    def handle(self, *args, batch_size: int, verbosity: int = 1, **options):
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1")

        def progress(done: int) -> None:
            if verbosity > 1:
                self.stdout.write(f"{done:,} articles indexed")

        count = search.reindex_articles(batch_size=batch_size, progress=progress)
        self.stdout.write(self.style.SUCCESS(f"{count:,} live articles indexed"))
