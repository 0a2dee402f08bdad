"""Business days: weekends and the client's country's days off are skipped when promising.

Calendar facts used below (2026-2027):

- Sweden: Midsummer Eve is Friday 19 June 2026 and Midsummer Day Saturday 20 June. Christmas Eve
  is Thursday 24 December 2026, Christmas Day Friday 25, Second Day of Christmas Saturday 26.
  New Year's Eve is Thursday 31 December 2026, New Year's Day Friday 1 January 2027, Epiphany
  Wednesday 6 January 2027. The `holidays` package lists the three eves only in its "de_facto"
  category: they are not statutory, but Swedish law treats them like Sundays and next to nobody
  works on them, so a promise must not fall on them.
- United Kingdom: Christmas Eve is a working day; Boxing Day (Saturday 26 December 2026) is
  observed on Monday 28 December; Spring Bank Holiday is Monday 25 May 2026.
- Norway: Maundy Thursday (2 April 2026) is a public holiday; it is not in Sweden.
"""

from datetime import UTC, date, datetime

import holidays
import pytest

from portal.core.business_days import (
    add_business_days,
    business_days_between,
    is_business_day,
    next_business_day,
)
from portal.services.updates import post_update
from tests.factories import make_application, make_client, make_job


def test_calendar_facts_of_the_holidays_package():
    """Does the `holidays` package still describe Sweden the way these tests assume?"""
    public = holidays.country_holidays("SE", years=[2026, 2027])
    de_facto = holidays.country_holidays("SE", years=2026, categories=("de_facto",))
    assert public[date(2026, 6, 20)] == "Midsummer Day"
    assert public[date(2026, 12, 25)] == "Christmas Day"
    assert public[date(2026, 12, 26)] == "Second Day of Christmas"
    assert public[date(2027, 1, 1)] == "New Year's Day"
    assert public[date(2027, 1, 6)] == "Epiphany"
    for eve in (date(2026, 6, 19), date(2026, 12, 24), date(2026, 12, 31)):
        assert eve not in public  # only in the de facto category:
        assert eve in de_facto
    assert de_facto[date(2026, 6, 19)] == "Midsummer Eve"
    assert de_facto[date(2026, 12, 24)] == "Christmas Eve"
    assert de_facto[date(2026, 12, 31)] == "New Year's Eve"
    assert [d.weekday() for d in (date(2026, 6, 19), date(2026, 12, 24), date(2026, 12, 31))] == [
        4, 3, 3,
    ]  # Friday, Thursday, Thursday: weekdays, so only the holiday calendar can skip them


@pytest.mark.parametrize(
    ("start", "days", "expected"),
    [
        (date(2026, 11, 20), 1, date(2026, 11, 23)),  # Friday + 1 -> Monday
        (date(2026, 11, 21), 1, date(2026, 11, 23)),  # Saturday + 1 -> Monday
        (date(2026, 11, 22), 1, date(2026, 11, 23)),  # Sunday + 1 -> Monday
        (date(2026, 11, 16), 5, date(2026, 11, 23)),  # Monday + 5 -> next Monday
        (date(2026, 11, 18), 10, date(2026, 12, 2)),  # two weekends crossed
        (date(2026, 11, 20), 0, date(2026, 11, 20)),  # zero days: the start itself
    ],
)
def test_weekends_are_skipped(start, days, expected):
    """Does adding business days skip Saturdays and Sundays (Friday + 1 is Monday)?"""
    assert add_business_days(start, days, "SE") == expected


def test_negative_days_are_refused():
    """Is a negative number of business days refused rather than counted backwards?"""
    with pytest.raises(ValueError, match="negative"):
        add_business_days(date(2026, 11, 20), -1, "SE")


@pytest.mark.parametrize(
    ("start", "expected", "why"),
    [
        (date(2026, 6, 18), date(2026, 6, 22), "Midsummer Eve Fri 19, Midsummer Day Sat 20"),
        (date(2026, 12, 23), date(2026, 12, 28), "Christmas Eve Thu 24, Christmas Fri 25-Sat 26"),
        (date(2026, 12, 30), date(2027, 1, 4), "New Year's Eve Thu 31, New Year's Day Fri 1"),
        (date(2027, 1, 5), date(2027, 1, 7), "Epiphany Wed 6 January"),
        (date(2026, 4, 2), date(2026, 4, 7), "Good Friday 3, Easter Monday 6 April"),
        (date(2026, 5, 13), date(2026, 5, 15), "Ascension Day Thu 14 May"),
    ],
)
def test_swedish_holidays_are_skipped(start, expected, why):
    """Is the next Swedish business day after a holiday (or a de facto one) the right day?"""
    assert add_business_days(start, 1, "SE") == expected, why


@pytest.mark.parametrize("eve", [date(2026, 6, 19), date(2026, 12, 24), date(2026, 12, 31)])
def test_swedish_eves_are_no_business_days(eve):
    """Are Midsummer Eve, Christmas Eve and New Year's Eve days off in Sweden?"""
    assert not is_business_day(eve, "SE")


def test_a_weeks_promise_over_christmas_in_sweden():
    """Does a 5-day promise over Christmas and New Year skip every Swedish day off?"""
    # From Monday 21 December: 22, 23 (1, 2); 24-27 off; 28, 29, 30 (3, 4, 5).
    assert add_business_days(date(2026, 12, 21), 5, "SE") == date(2026, 12, 30)
    # From Wednesday 23 December: 28, 29, 30, then 31 Dec - 3 Jan off, 4, 5 January.
    assert add_business_days(date(2026, 12, 23), 5, "SE") == date(2027, 1, 5)


@pytest.mark.parametrize(
    ("country", "start", "expected", "why"),
    [
        ("GB", date(2026, 12, 23), date(2026, 12, 24), "Christmas Eve is a working day in GB"),
        ("GB", date(2026, 12, 24), date(2026, 12, 29), "Boxing Day observed Mon 28 Dec"),
        ("SE", date(2026, 12, 24), date(2026, 12, 28), "Sweden has no observed Boxing Day"),
        ("GB", date(2026, 5, 22), date(2026, 5, 26), "Spring Bank Holiday Mon 25 May"),
        ("SE", date(2026, 5, 22), date(2026, 5, 25), "Whit Monday is no holiday in Sweden"),
        ("NO", date(2026, 4, 1), date(2026, 4, 7), "Maundy Thursday, Good Friday, Easter Mon"),
        ("SE", date(2026, 4, 1), date(2026, 4, 2), "Maundy Thursday is a working day in SE"),
    ],
)
def test_other_countries_use_their_own_holidays(country, start, expected, why):
    """Does another country's calendar decide its business days, not Sweden's?"""
    assert add_business_days(start, 1, country) == expected, why


@pytest.mark.parametrize("country", ["XX", "ZZ", "QZ"])
def test_unknown_country_falls_back_to_sweden(country):
    """Does a country code the calendar does not know fall back to Sweden's holidays?"""
    assert add_business_days(date(2026, 12, 23), 1, country) == date(2026, 12, 28)
    assert add_business_days(date(2026, 6, 18), 1, country) == date(2026, 6, 22)


def test_default_country_is_sweden():
    """Without a country, are Sweden's holidays used?"""
    assert add_business_days(date(2026, 12, 23), 1) == date(2026, 12, 28)


def test_next_business_day_and_days_between():
    """Do next_business_day and business_days_between agree with add_business_days?"""
    assert next_business_day(date(2026, 12, 23), "SE") == date(2026, 12, 28)
    assert business_days_between(date(2026, 12, 23), date(2026, 12, 28), "SE") == 1
    assert business_days_between(date(2026, 12, 23), date(2027, 1, 5), "SE") == 5
    assert business_days_between(date(2026, 12, 28), date(2026, 12, 23), "SE") == 0
    assert business_days_between(date(2026, 11, 20), date(2026, 11, 20), "SE") == 0


@pytest.mark.parametrize(
    ("country", "expected"),
    [("GB", date(2026, 12, 24)), ("SE", date(2026, 12, 28)), ("XX", date(2026, 12, 28))],
)
def test_new_application_promise_follows_the_clients_country(session, country, expected):
    """Is a new application's first promise counted in the client's country's business days?"""
    client = make_client(session, country=country)
    job = make_job(session, client=client, promise_days=1)
    application = make_application(
        session, job=job, at=datetime(2026, 12, 23, 9, tzinfo=UTC)  # Wednesday 23 December
    )
    assert application.promised_by == expected


def test_update_promise_follows_the_clients_country(session):
    """Does an update's default promise also count in the client's country (GB vs Sweden)?"""
    promises = {}
    for country in ("GB", "SE"):
        job = make_job(session, client=make_client(session, country=country), promise_days=1)
        application = make_application(session, job=job, at=datetime(2026, 12, 14, 9, tzinfo=UTC))
        post_update(
            session=session, application=application, author=None,
            public_note="Still with the client.", at=datetime(2026, 12, 23, 9, tzinfo=UTC),
        )
        session.commit()
        promises[country] = application.promised_by
    assert promises == {"GB": date(2026, 12, 24), "SE": date(2026, 12, 28)}
