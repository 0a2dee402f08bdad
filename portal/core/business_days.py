"""Business-day arithmetic: weekends and the client's country's public holidays are skipped."""

from datetime import date, timedelta
from functools import lru_cache

import holidays

DEFAULT_COUNTRY = "SE"


@lru_cache(maxsize=64)
def _holidays_for(country: str, year: int) -> frozenset[date]:
    try:
        calendar = holidays.country_holidays(country, years=year)
    except NotImplementedError:
        calendar = holidays.country_holidays(DEFAULT_COUNTRY, years=year)
    # Days nobody works count too: Sweden's Midsummer, Christmas and New Year's Eves are only
    # "de facto" holidays in the package, yet a promise must never fall on them.
    if "de_facto" in calendar.supported_categories:
        calendar = holidays.country_holidays(
            calendar.country, years=year, categories=("public", "de_facto")
        )
    return frozenset(calendar.keys())


def is_business_day(day: date, country: str = DEFAULT_COUNTRY) -> bool:
    """True on a weekday that is not a public holiday in ``country``."""
    return day.weekday() < 5 and day not in _holidays_for(country, day.year)


def add_business_days(start: date, days: int, country: str = DEFAULT_COUNTRY) -> date:
    """The date ``days`` business days after ``start`` (``start`` itself never counts)."""
    if days < 0:
        raise ValueError("days must not be negative")
    current = start
    remaining = days
    while remaining:
        current += timedelta(days=1)
        if is_business_day(current, country):
            remaining -= 1
    return current


def next_business_day(start: date, country: str = DEFAULT_COUNTRY) -> date:
    """The first business day after ``start``."""
    return add_business_days(start, 1, country)


def business_days_between(start: date, end: date, country: str = DEFAULT_COUNTRY) -> int:
    """Business days after ``start`` up to and including ``end`` (0 if end <= start)."""
    count = 0
    current = start
    while current < end:
        current += timedelta(days=1)
        if is_business_day(current, country):
            count += 1
    return count
