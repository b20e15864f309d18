"""Import a country's public holidays of a year into a business calendar and print what changed."""

from django.core.management.base import BaseCommand, CommandError
from django.utils import translation

from sla.holidays_import import import_public_holidays
from sla.models import BusinessCalendar


class Command(BaseCommand):
    help = (
        "Import public holidays (and China's make-up working days) of a country and year into a business calendar. "
        "Rows edited by hand are kept unless --replace is given; running it twice changes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("calendar", help="The calendar's name.")
        parser.add_argument("country", help="ISO 3166 country code, e.g. CN.")
        parser.add_argument("year", type=int)
        parser.add_argument("--subdiv", help="A region of the country, e.g. SCT for Scotland in GB.")
        parser.add_argument("--replace", action="store_true", help="Overwrite exceptions edited by hand too.")
        parser.add_argument("--language", help="Language of the holiday names, e.g. zh-hans or en.")

    def handle(self, *args, calendar, country, year, subdiv, replace, language, **options):
        try:
            target = BusinessCalendar.objects.get(name=calendar)
        except BusinessCalendar.DoesNotExist as error:
            raise CommandError(f"No business calendar is named {calendar!r}.") from error
        try:
            with translation.override(language or translation.get_language()):
                result = import_public_holidays(
                    calendar=target, country=country, year=year, subdiv=subdiv, replace=replace
                )
        except ValueError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(
            f"{target}: {result.created} created, {result.updated} updated, {result.unchanged} unchanged, "
            f"{result.skipped} kept as edited by hand, {result.deleted} removed "
            f"({result.working_days} make-up working days)."
        )
        if result.lacks_make_up_days:
            self.stderr.write(self.style.WARNING(result.missing_make_up_days_note()))
