"""Import a country's public holidays (and, for China, the make-up working days, 调休) into a business calendar.

The data comes from the `holidays` package, which ships it with the code (no network): it follows each year's
State Council notice for China, holidays moved onto weekdays and the weekend days worked in exchange
(`weekend_workdays`). For a year whose notice is not out yet the package only estimates the holidays and knows no
make-up days, which ImportResult.working_days shows as 0.

Rows the import writes carry `source = "imported:holidays:<country>"`; a row anyone edits becomes "manual" and a
later import leaves it alone unless asked to replace it.
"""

from dataclasses import dataclass
from datetime import date

import holidays
from django.db import transaction
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from .models import MANUAL_SOURCE, BusinessCalendar, CalendarException, ExceptionKind, Weekday

PACKAGE = "holidays"
# Countries that swap weekend days for weekdays around their holidays, so an import without any make-up day means
# the year's arrangement is not published (or not in the installed package) yet.
MAKE_UP_DAY_COUNTRIES = {"CN"}
# Django's language codes to the package's.
PACKAGE_LANGUAGES = {"zh-hans": "zh_CN", "zh-hant": "zh_TW", "en": "en_US"}


@dataclass(frozen=True)
class ImportResult:
    """What an import did: rows created, updated, already right, kept because edited by hand, and removed."""

    country: str
    year: int
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0
    deleted: int = 0
    working_days: int = 0  # make-up working days the package knows for that year

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated or self.deleted)

    @property
    def lacks_make_up_days(self) -> bool:
        """True when the country works make-up days but the package knows none for the year."""
        return self.country in MAKE_UP_DAY_COUNTRIES and not self.working_days

    def missing_make_up_days_note(self) -> str:
        return _(
            "The holidays package knows no make-up working days for %(country)s in %(year)d yet: add them by hand "
            "or import again after upgrading the package."
        ) % {"country": self.country, "year": self.year}


@dataclass(frozen=True)
class Day:
    """One imported date as it should be stored."""

    kind: str
    name: str


def supported_countries() -> list[str]:
    """The ISO 3166 codes the package has public holidays for, sorted."""
    return sorted(holidays.list_supported_countries(include_aliases=False))


def source_tag(country: str, subdiv: str | None = None) -> str:
    return f"imported:{PACKAGE}:{country}" + (f"-{subdiv}" if subdiv else "")


def public_holidays(country: str, year: int, *, subdiv: str | None = None) -> dict[date, Day]:
    """{date: Day} for the year, named in the active language: public holidays, and make-up working days if known."""
    try:
        entity = holidays.country_holidays(country, subdiv=subdiv, years=year, language=_package_language())
    except NotImplementedError as error:  # the package's answer to an unknown country or subdivision
        raise ValueError(str(error)) from error
    if not entity.start_year <= year <= entity.end_year:
        raise ValueError(f"{country} holidays are known from {entity.start_year} to {entity.end_year}, not {year}.")
    days = {day: Day(ExceptionKind.HOLIDAY, name) for day, name in entity.items() if day.year == year}
    # The set collects the make-up days of every year the class has seen, not only the one asked for.
    for day in sorted(entity.weekend_workdays):
        if day.year == year and day not in days:
            days[day] = Day(ExceptionKind.WORKING_DAY, _("Make-up working day"))
    return days


def import_public_holidays(
    *,
    calendar: BusinessCalendar,
    country: str,
    year: int,
    subdiv: str | None = None,
    replace: bool = False,
) -> ImportResult:
    """Write the country's holidays of the year into the calendar; running it twice changes nothing the second time."""
    country, subdiv = country.upper(), (subdiv.upper() if subdiv else None)
    wanted = public_holidays(country, year, subdiv=subdiv)
    tag = source_tag(country, subdiv)
    with transaction.atomic():
        # One import of a calendar at a time: two would both create the same dates.
        BusinessCalendar.objects.select_for_update().filter(pk=calendar.pk).get()
        existing = {row.date: row for row in calendar.exceptions.filter(date__year=year)}
        counts = _write_days(calendar, wanted, existing, tag=tag, replace=replace)
        stale = [row.pk for day, row in existing.items() if row.source == tag and day not in wanted]
        counts["deleted"] = CalendarException.objects.filter(pk__in=stale).delete()[0]
        working_days = sum(day.kind == ExceptionKind.WORKING_DAY for day in wanted.values())
        result = ImportResult(country=country, year=year, working_days=working_days, **counts)
        if result.changed:
            BusinessCalendar.objects.filter(pk=calendar.pk).update(updated_at=timezone.now())
    return result


def _write_days(
    calendar, wanted: dict[date, Day], existing: dict[date, CalendarException], *, tag: str, replace: bool
) -> dict[str, int]:
    """Create the missing dates and bring imported ones up to date; hand-made rows only when replacing."""
    counts = {"created": 0, "updated": 0, "unchanged": 0, "skipped": 0}
    new_rows = []
    for day, target in sorted(wanted.items()):
        row = existing.get(day)
        if row is None:
            new_rows.append(CalendarException(calendar=calendar, date=day, source=tag, **_fields(target)))
            counts["created"] += 1
        elif row.source == MANUAL_SOURCE and not replace:
            counts["skipped"] += 1
        elif _matches(row, target, tag):
            counts["unchanged"] += 1
        else:
            for field, value in {**_fields(target), "source": tag}.items():
                setattr(row, field, value)
            row.save(update_fields=["kind", "name", "hours_like_weekday", "source"])
            counts["updated"] += 1
    CalendarException.objects.bulk_create(new_rows)
    return counts


def _fields(day: Day) -> dict:
    # A make-up day works a normal weekday; which one the notice swapped it for is not in the package's data.
    return {"kind": day.kind, "name": day.name[:200], "hours_like_weekday": Weekday.MONDAY}


def _matches(row: CalendarException, day: Day, tag: str) -> bool:
    return all(getattr(row, field) == value for field, value in {**_fields(day), "source": tag}.items())


def _package_language() -> str | None:
    # A language the country does not offer makes the package fall back to the country's own.
    language = (get_language() or "").lower()
    return PACKAGE_LANGUAGES.get(language, language.replace("-", "_") or None)
