"""The recruiter's desk: sign-in, the urgency list, an application's page, and setting up work.

The tests keep their own database session (``db``) apart from the views' session: the shared
``session`` fixture holds an app context open, and requests made inside it would share ``g``
(flask-login's cached user, the CSRF token, the views' session) with the test.
"""

import re
from datetime import UTC, datetime, timedelta
from html import unescape
from html.parser import HTMLParser
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlmodel import Session, func, select

from portal.core.business_days import add_business_days
from portal.core.clock import today
from portal.models import Application, Client, Job, Stage, Update, UpdateKind
from portal.services.pipelines import DEFAULT_PIPELINE
from portal.services.updates import post_update
from tests.factories import PASSWORD, make_application, make_client, make_job, make_recruiter
from tests.helpers import BASE_URL, HTMX, login, reload

# --- helpers -------------------------------------------------------------------------------


def update_count(db: Session, application_id: int) -> int:
    db.rollback()
    return db.exec(
        select(func.count()).select_from(Update).where(Update.application_id == application_id)
    ).one()


def latest_update(db: Session, application_id: int) -> Update:
    db.rollback()
    db.expire_all()
    return db.exec(
        select(Update).where(Update.application_id == application_id)
        .order_by(Update.created_at.desc(), Update.id.desc())
    ).first()


def row_ids(html: str) -> list[int]:
    """The application ids of the desk table's rows, top to bottom."""
    return [int(found) for found in re.findall(r'<tr id="row-(\d+)"', html)]


def status_url_on(html: str) -> str:
    """The candidate's status URL as the application page shows it."""
    return unescape(re.search(r'id="status-url" type="text" readonly value="([^"]+)"', html)[1])


def textarea(html: str, name: str) -> str:
    """What a textarea holds, unescaped."""
    return unescape(re.search(rf'<textarea id="{name}"[^>]*>(.*?)</textarea>', html, re.S)[1])


def promise_field(html: str) -> str:
    return re.search(r'name="promised_by"[^>]*\bvalue="([^"]*)"', html, re.S)[1]


def csrf_input(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html)[1]


def csrf_header(html: str) -> str:
    return re.search(r"""hx-headers='\{"X-CSRFToken": "([^"]+)"\}'""", html)[1]


class FormFields(HTMLParser):
    """The named fields of a page with the values a browser would submit."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.fields: dict[str, str] = {}
        self._textarea: str | None = None
        self._select: str | None = None
        self._selected: str | None = None
        self._first: str | None = None

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        name = attributes.get("name")
        if tag == "input" and name:
            if attributes.get("type") in ("radio", "checkbox") and "checked" not in attributes:
                return
            self.fields[name] = attributes.get("value") or ""
        elif tag == "textarea" and name:
            self._textarea = name
            self.fields[name] = ""
        elif tag == "select" and name:
            self._select, self._selected, self._first = name, None, None
        elif tag == "option" and self._select:
            value = attributes.get("value") or ""
            if self._first is None:
                self._first = value
            if "selected" in attributes:
                self._selected = value

    def handle_data(self, data):
        if self._textarea:
            self.fields[self._textarea] += data

    def handle_endtag(self, tag):
        if tag == "textarea":
            self._textarea = None
        elif tag == "select" and self._select:
            chosen = self._selected if self._selected is not None else self._first
            self.fields[self._select] = chosen or ""
            self._select = None


def form_fields(html: str) -> dict[str, str]:
    parser = FormFields()
    parser.feed(html)
    parser.close()
    return parser.fields


def ago(days: float) -> datetime:
    return datetime.now(UTC) - timedelta(days=days)


def set_urgency(db: Session, application: Application, *, due_in: int, heard_days_ago: float):
    """Give an application a promise date (days from today) and a last-update moment."""
    application.promised_by = today() + timedelta(days=due_in)
    application.last_update_at = ago(heard_days_ago)
    db.add(application)
    db.commit()


@pytest.fixture
def recruiter(db):
    # An admin: the setup tests below add clients and jobs, which only admins may do.
    return make_recruiter(db, name="Rita Recruiter", admin=True)


@pytest.fixture
def desk(client, recruiter):
    """The test client, signed in as ``recruiter``."""
    assert login(client, recruiter.email).status_code == 303
    return client


@pytest.fixture
def job(db, recruiter):
    return make_job(db, owner=recruiter, title="Backend Engineer", promise_days=3)


# --- signing in and out --------------------------------------------------------------------


def test_login_with_right_password_redirects_to_the_desk(client, recruiter):
    """Does a right email and password sign in with a 303 to /admin/?"""
    response = login(client, recruiter.email.upper())
    assert response.status_code == 303
    assert urlsplit(response.location).path == "/admin/"
    desk_page = client.get("/admin/")
    assert desk_page.status_code == 200
    assert "Rita Recruiter" in desk_page.text


def test_wrong_password_and_unknown_email_give_the_same_401_page(client, recruiter):
    """Can a stranger tell a known email from an unknown one by the login error? (no)"""
    wrong_password = login(client, recruiter.email, "not the right password")
    unknown_email = login(client, "nobody@agency.example", PASSWORD)
    assert wrong_password.status_code == unknown_email.status_code == 401

    def without_typed_values(response) -> str:
        return re.sub(r'value="[^"]*"', 'value=""', response.text)

    assert without_typed_values(wrong_password) == without_typed_values(unknown_email)
    assert "do not match a recruiter login" in wrong_password.text
    assert client.get("/admin/").status_code == 302


@pytest.mark.parametrize(
    "path", ["/admin/", "/admin/applications/1", "/admin/applications/new", "/admin/clients/new",
             "/admin/jobs/new", "/admin/jobs"],
)
def test_desk_pages_redirect_to_login_with_next(client, recruiter, path):
    """Does every desk page send a signed-out visitor to the login, remembering where to?"""
    response = client.get(path)
    assert response.status_code == 302
    location = urlsplit(response.location)
    assert location.path == "/admin/login"
    assert parse_qs(location.query)["next"] == [path]
    signed_in = login(client, recruiter.email, next=path)
    assert signed_in.status_code == 303
    assert urlsplit(signed_in.location).path == path


@pytest.mark.parametrize("target", ["//evil.example/admin/", "https://evil.example/", "/\\evil"])
def test_login_never_redirects_off_site(client, recruiter, target):
    """Can a crafted ?next= send a freshly signed-in recruiter to another site? (no)"""
    response = login(client, recruiter.email, next=target)
    assert response.status_code == 303
    assert response.location == "/admin/"


def test_logout_is_post_only(desk):
    """Does GET /admin/logout refuse (405) and leave the recruiter signed in?"""
    assert desk.get("/admin/logout").status_code == 405
    assert desk.get("/admin/").status_code == 200


def test_logout_voids_a_copied_session_cookie(app, desk):
    """After logout, does a copy of the old session cookie still open the desk? (no)"""
    cookie = desk.get_cookie("session")
    replay = app.test_client()
    replay.set_cookie("session", cookie.value)
    assert replay.get("/admin/").status_code == 200  # the copy works while signed in

    response = desk.post("/admin/logout")
    assert response.status_code == 303
    assert urlsplit(response.location).path == "/admin/login"

    stale = app.test_client()
    stale.set_cookie("session", cookie.value)
    refused = stale.get("/admin/")
    assert refused.status_code == 302
    assert urlsplit(refused.location).path == "/admin/login"
    assert desk.get("/admin/").status_code == 302


# --- the urgency list ----------------------------------------------------------------------


def test_desk_lists_overdue_first_then_due_soonest_then_oldest_news(db, desk, job):
    """Is the list ordered overdue first, then by promise date, then by the oldest update?"""
    made = {}
    # Created in an order unlike the expected one, so the ids cannot explain the result.
    for name, due_in, heard in [
        ("Later Larsson", 7, 1), ("Soon Recent", 2, 1), ("Very Late", -5, 2),
        ("Soon Forgotten", 2, 9), ("Bit Late", -1, 20), ("Due Today", 0, 3),
    ]:
        application = make_application(db, job=job, name=name)
        set_urgency(db, application, due_in=due_in, heard_days_ago=heard)
        made[name] = application.id
    response = desk.get("/admin/")
    assert response.status_code == 200
    expected = ["Very Late", "Bit Late", "Due Today", "Soon Forgotten", "Soon Recent",
                "Later Larsson"]
    assert row_ids(response.text) == [made[name] for name in expected]


def test_overdue_row_says_how_many_days_late(db, desk, job):
    """Does an overdue row say "Overdue N days" (and "1 day" for one)?"""
    five = make_application(db, job=job, name="Five Late")
    set_urgency(db, five, due_in=-5, heard_days_ago=9)
    one = make_application(db, job=job, name="One Late")
    set_urgency(db, one, due_in=-1, heard_days_ago=9)
    html = desk.get("/admin/").text
    rows = dict(zip(row_ids(html), re.split(r'<tr id="row-\d+"', html)[1:], strict=True))
    assert "Overdue 5 days" in rows[five.id]
    assert 'class="is-overdue"' in html
    assert "Overdue 1 day<" in rows[one.id]


def test_closed_applications_are_not_in_the_default_list(db, desk, job):
    """Does a hired candidate leave the default list, and show up under status=closed?"""
    still_open = make_application(db, job=job, name="Still Open")
    hired = make_application(db, job=job, name="Hired Hanna")
    post_update(session=db, application=hired, author=None, stage_key="hired")
    db.commit()
    assert row_ids(desk.get("/admin/").text) == [still_open.id]
    assert row_ids(desk.get("/admin/?status=closed").text) == [hired.id]
    assert set(row_ids(desk.get("/admin/?status=all").text)) == {still_open.id, hired.id}


@pytest.fixture
def world(db, recruiter):
    """Two clients, three jobs, and candidates whose names tempt LIKE wildcards."""
    acme = make_client(db, name="Acme AB", slug="acme")
    borg = make_client(db, name="Borg AB", slug="borg")
    backend = make_job(db, client=acme, owner=recruiter, title="Backend Engineer")
    analyst = make_job(db, client=acme, owner=recruiter, title="Data Analyst")
    designer = make_job(db, client=borg, owner=recruiter, title="Designer")
    people = {}
    for name, email, job in [
        ("Alice Anders", "alice@mail.example", backend),
        ("Bob Brand", "Bob.Brand@mail.example", analyst),
        ("Carl 100% Cole", "carl@mail.example", designer),
        ("Carl 1000 Cole", "carl2@mail.example", designer),
        ("Dana Under", "dana_u@mail.example", designer),
        ("Dana Xunder", "danaxu@mail.example", backend),
        ("Eve Ended", "eve@mail.example", backend),
    ]:
        people[name] = make_application(db, job=job, name=name, email=email)
    post_update(session=db, application=people["Bob Brand"], author=None, stage_key="interview")
    post_update(session=db, application=people["Eve Ended"], author=None, stage_key="hired")
    db.commit()
    return {"acme": acme.id, "borg": borg.id, "analyst": analyst.id,
            "people": {name: application.id for name, application in people.items()}}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        pytest.param(lambda w: {"client": w["acme"]},
                     {"Alice Anders", "Bob Brand", "Dana Xunder"}, id="client"),
        pytest.param(lambda w: {"client": w["borg"]},
                     {"Carl 100% Cole", "Carl 1000 Cole", "Dana Under"}, id="other-client"),
        pytest.param(lambda w: {"job": w["analyst"]}, {"Bob Brand"}, id="job"),
        pytest.param(lambda w: {"stage": "interview"}, {"Bob Brand"}, id="stage"),
        pytest.param(lambda w: {"stage": "applied", "client": w["borg"]},
                     {"Carl 100% Cole", "Carl 1000 Cole", "Dana Under"}, id="stage-and-client"),
        pytest.param(lambda w: {"q": "ALICE"}, {"Alice Anders"}, id="name-any-case"),
        pytest.param(lambda w: {"q": "bob.BRAND@Mail"}, {"Bob Brand"}, id="email-any-case"),
        pytest.param(lambda w: {"q": "0%"}, {"Carl 100% Cole"}, id="percent-is-literal"),
        pytest.param(lambda w: {"q": "a_u"}, {"Dana Under"}, id="underscore-is-literal"),
        pytest.param(lambda w: {"q": "alice", "client": w["borg"]}, set(), id="nothing"),
    ],
)
def test_desk_filters_and_search(desk, world, query, expected):
    """Do the client, job and stage filters and the name/email search pick the right rows?"""
    response = desk.get("/admin/", query_string=query(world))
    assert response.status_code == 200
    by_id = {ident: name for name, ident in world["people"].items()}
    assert {by_id[ident] for ident in row_ids(response.text)} == expected
    if not expected:
        assert "No applications match." in response.text


class TestKeysetPagination:
    @pytest.fixture
    def app_config(self, app_config):
        return {**app_config, "DESK_PAGE_SIZE": 3}

    def test_next_page_links_visit_every_application_once_in_order(self, db, desk, job):
        """With 3 per page, do the "Next page" links walk all 7 applications in urgency order?"""
        same_moment = ago(4)
        specs = [(3, None), (-2, 5), (8, 0), (3, None), (0, 1), (-2, 5), (3, 2)]
        applications = []
        for number, (due_in, heard) in enumerate(specs):
            application = make_application(db, job=job, name=f"Page Person{number}")
            application.promised_by = today() + timedelta(days=due_in)
            application.last_update_at = same_moment if heard is None else ago(heard)
            db.add(application)
            db.commit()
            applications.append(application)
        urgency = sorted(applications, key=lambda a: (a.promised_by, a.last_update_at, a.id))
        expected = [a.id for a in urgency]

        pages, url = [], "/admin/"
        while url and len(pages) < 10:
            response = desk.get(url)
            assert response.status_code == 200
            pages.append(row_ids(response.text))
            found = re.search(r'<a rel="next" href="([^"]+)">Next page</a>', response.text)
            url = unescape(found[1]) if found else None
        assert [len(page) for page in pages] == [3, 3, 1]
        assert [ident for page in pages for ident in page] == expected


def test_htmx_filter_request_gets_only_the_results_partial(db, desk, job):
    """Does an htmx request aimed at #desk-results get the results section and nothing else?"""
    application = make_application(db, job=job, name="Partial Paula")
    response = desk.get("/admin/?q=paula", headers={**HTMX, "HX-Target": "desk-results"})
    assert response.status_code == 200
    body = response.text.strip()
    assert body.startswith('<section id="desk-results"')
    assert body.endswith("</section>")
    assert "<html" not in body and 'class="filters"' not in body
    assert row_ids(body) == [application.id]
    assert "HX-Request" in response.headers["Vary"]
    full = desk.get("/admin/?q=paula")
    assert "<html" in full.text and 'class="filters"' in full.text
    assert "HX-Request" in full.headers["Vary"]


# --- an application's page -----------------------------------------------------------------


@pytest.fixture
def application(db, job, recruiter):
    """An application with a public note and an internal note in its history."""
    application = make_application(db, job=job, name="Nina Nilsson", at=ago(3))
    post_update(session=db, application=application, author=recruiter,
                public_note="Thanks for applying, your CV is with the team.", at=ago(2))
    post_update(session=db, application=application, author=recruiter,
                internal_note="Salary expectation above the band.", at=ago(1))
    db.commit()
    return application


def timeline_entries(html: str) -> list[tuple[str, str, str]]:
    """(li class, badge text, entry text) for every timeline entry on the desk page."""
    entries = []
    for css, body in re.findall(r'<li class="entry (entry-\w+)">(.*?)</li>', html, re.S):
        badge = re.search(r'<span class="badge [^"]*">([^<]+)</span>', body)[1]
        entries.append((css, badge, unescape(re.sub(r"<[^>]+>", " ", body))))
    return entries


def test_application_page_shows_public_and_internal_entries_differently(desk, application):
    """Does the timeline show every entry, marking what the candidate sees and what is internal?"""
    response = desk.get(f"/admin/applications/{application.id}")
    assert response.status_code == 200
    entries = timeline_entries(response.text)
    assert len(entries) == 3
    internal = [e for e in entries if "Salary expectation" in e[2]]
    public = [e for e in entries if "Salary expectation" not in e[2]]
    assert [(css, badge) for css, badge, _ in internal] == [("entry-internal", "Internal")]
    assert {(css, badge) for css, badge, _ in public} == {("entry-public", "Candidate sees")}
    assert any("your CV is with the team" in text for *_, text in public)
    assert any("Application received" in text for *_, text in public)


def test_application_page_shows_the_status_link_and_a_prefilled_promise(desk, application, job):
    """Does the page show a working status URL and prefill the job's promise interval?"""
    html = desk.get(f"/admin/applications/{application.id}").text
    url = status_url_on(html)
    assert url.startswith(f"{BASE_URL}/s/")
    candidate_page = desk.get(url.removeprefix(BASE_URL))
    assert candidate_page.status_code == 200
    assert "your CV is with the team" in candidate_page.text
    assert "Salary expectation" not in candidate_page.text
    expected = add_business_days(today(), job.promise_days, "SE")
    assert promise_field(html) == expected.isoformat()
    assert expected.weekday() < 5 and expected > today()
    assert f"Default: {job.promise_days} business days" in html


def test_unknown_application_is_404(desk):
    """Does the desk answer 404 for an application id that does not exist?"""
    assert desk.get("/admin/applications/424242").status_code == 404


def test_plain_update_post_redirects_and_reaches_the_candidate(db, desk, application):
    """Does a plain form POST 303 back to the page, and the note appear on the status page?"""
    page = f"/admin/applications/{application.id}"
    promise = add_business_days(today(), 4, "SE")
    response = desk.post(f"{page}/updates", data={
        "stage": "screening", "public_note": "Good news: you are in screening now.",
        "internal_note": "", "promised_by": promise.isoformat(),
    })
    assert response.status_code == 303
    assert urlsplit(response.location).path == page
    followed = desk.get(page)
    assert "Update posted." in followed.text
    stored = reload(db, Application, application.id)
    assert stored.promised_by == promise
    assert latest_update(db, application.id).kind == UpdateKind.STAGE_CHANGE
    candidate_page = desk.get(status_url_on(followed.text).removeprefix(BASE_URL))
    assert "Good news: you are in screening now." in candidate_page.text
    assert "Under review" in candidate_page.text


def test_htmx_update_post_returns_the_live_partial(db, desk, application):
    """Does an htmx POST get 200 with only #application-live, saying "Update posted."?"""
    before = update_count(db, application.id)
    response = desk.post(
        f"/admin/applications/{application.id}/updates", headers=HTMX,
        data={"stage": "applied", "public_note": "Still reading, more soon.", "promised_by": ""},
    )
    assert response.status_code == 200
    body = response.text.strip()
    assert body.startswith('<div id="application-live"')
    assert "<html" not in body
    assert "Update posted." in body
    assert "Still reading, more soon." in body
    assert update_count(db, application.id) == before + 1


def _yesterday() -> str:
    return (today() - timedelta(days=1)).isoformat()


@pytest.mark.parametrize("use_htmx", [False, True], ids=["plain", "htmx"])
@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        pytest.param({"promised_by": _yesterday}, "cannot be promised for a past date",
                     id="past-promise"),
        pytest.param({"promised_by": "2026-13-45"}, "a date as YYYY-MM-DD", id="bad-date"),
        pytest.param({"stage": "no_such_stage"}, "unknown stage", id="unknown-stage"),
        pytest.param({"public_note": "", "promised_by": ""}, "nothing to post",
                     id="nothing-to-post"),
    ],
)
def test_bad_update_is_422_and_keeps_the_typed_text(db, desk, application, changes, problem,
                                                     use_htmx):
    """Is a bad update refused with 422, naming the problem and keeping what was typed?"""
    form = {"stage": "applied", "public_note": "Typed <carefully> & kept", "internal_note": "",
            "promised_by": ""}
    form.update({key: value() if callable(value) else value for key, value in changes.items()})
    before = update_count(db, application.id)
    promise_before = reload(db, Application, application.id).promised_by
    response = desk.post(f"/admin/applications/{application.id}/updates", data=form,
                         headers=HTMX if use_htmx else {})
    assert response.status_code == 422
    assert problem in unescape(response.text)
    assert textarea(response.text, "public_note") == form["public_note"]
    assert ("<html" in response.text) is not use_htmx
    if use_htmx:
        assert response.text.strip().startswith('<div id="application-live"')
    assert update_count(db, application.id) == before
    assert reload(db, Application, application.id).promised_by == promise_before


def test_no_news_posts_the_swedish_note_and_moves_the_promise(db, desk, job):
    """Does "No news yet" tell a Swedish candidate in Swedish and move an overdue promise?"""
    application = make_application(db, job=job, name="Sven Svensson", language="sv")
    set_urgency(db, application, due_in=-2, heard_days_ago=8)
    response = desk.post(f"/admin/applications/{application.id}/no-news")
    assert response.status_code == 303
    assert urlsplit(response.location).path == f"/admin/applications/{application.id}"
    update = latest_update(db, application.id)
    assert update.kind == UpdateKind.NO_NEWS
    assert update.is_public
    assert "Jag hade hoppats" in update.public_note
    expected = add_business_days(today(), job.promise_days, "SE")
    assert reload(db, Application, application.id).promised_by == expected
    page = desk.get(f"/admin/applications/{application.id}").text
    candidate_page = desk.get(status_url_on(page).removeprefix(BASE_URL)).text
    assert "Jag hade hoppats" in candidate_page


def test_no_news_from_the_list_returns_the_updated_row(db, desk, job):
    """From the list (back=desk, htmx), does "No news yet" answer with the row, no longer late?"""
    application = make_application(db, job=job, name="Rowan Row")
    set_urgency(db, application, due_in=-3, heard_days_ago=8)
    assert "Overdue 3 days" in desk.get("/admin/").text
    response = desk.post(f"/admin/applications/{application.id}/no-news", headers=HTMX,
                         data={"back": "desk"})
    assert response.status_code == 200
    body = response.text.strip()
    assert body.startswith(f'<tr id="row-{application.id}"')
    assert body.endswith("</tr>")
    assert "“No news yet” sent." in body
    assert "Overdue" not in body
    assert latest_update(db, application.id).kind == UpdateKind.NO_NEWS
    plain = desk.post(f"/admin/applications/{application.id}/no-news", data={"back": "desk"})
    assert plain.status_code == 303
    assert urlsplit(plain.location).path == "/admin/"


def test_revoking_the_link_kills_the_old_one_and_shows_a_working_new_one(desk, application):
    """After "Revoke", does the old link 404 and the page show a new link that opens?"""
    page = f"/admin/applications/{application.id}"
    old_path = status_url_on(desk.get(page).text).removeprefix(BASE_URL)
    assert desk.get(old_path).status_code == 200
    response = desk.post(f"{page}/link")
    assert response.status_code == 303
    assert desk.get(old_path).status_code == 404
    new_url = status_url_on(desk.get(page).text)
    assert new_url.startswith(f"{BASE_URL}/s/")
    assert new_url.removeprefix(BASE_URL) != old_path
    assert desk.get(new_url.removeprefix(BASE_URL)).status_code == 200


def test_revoking_with_htmx_returns_the_partial_with_the_new_link(desk, application):
    """Does an htmx revoke answer with #application-live holding the new, working link?"""
    page = f"/admin/applications/{application.id}"
    old_path = status_url_on(desk.get(page).text).removeprefix(BASE_URL)
    response = desk.post(f"{page}/link", headers=HTMX)
    assert response.status_code == 200
    assert response.text.strip().startswith('<div id="application-live"')
    assert "Old link revoked." in response.text
    new_path = status_url_on(response.text).removeprefix(BASE_URL)
    assert desk.get(old_path).status_code == 404
    assert desk.get(new_path).status_code == 200


class TestCsrf:
    @pytest.fixture
    def app_config(self, app_config):
        return {**app_config, "WTF_CSRF_ENABLED": True}

    @pytest.fixture
    def desk(self, client, recruiter):
        """Signed in through the real form, token and all."""
        token = csrf_input(client.get("/admin/login").text)
        response = login(client, recruiter.email, csrf_token=token)
        assert response.status_code == 303
        return client

    def test_login_without_token_is_refused(self, client, recruiter):
        """Is a login POST without the CSRF token refused with 400?"""
        response = login(client, recruiter.email)
        assert response.status_code == 400
        assert client.get("/admin/").status_code == 302

    @pytest.mark.parametrize("use_htmx", [False, True], ids=["plain", "htmx"])
    @pytest.mark.parametrize("action", ["updates", "no-news", "link"])
    def test_post_without_token_is_400(self, db, desk, application, action, use_htmx):
        """Is a desk POST without a CSRF token refused with 400, changing nothing?"""
        before = update_count(db, application.id)
        response = desk.post(
            f"/admin/applications/{application.id}/{action}",
            data={"public_note": "Forged.", "promised_by": ""},
            headers=HTMX if use_htmx else {},
        )
        assert response.status_code == 400
        assert "Reload the page and try again" in response.text
        assert update_count(db, application.id) == before
        assert reload(db, Application, application.id).token_version == 1

    def test_logout_without_token_is_400(self, desk):
        """Can another site sign a recruiter out with a bare POST? (no)"""
        assert desk.post("/admin/logout").status_code == 400
        assert desk.get("/admin/").status_code == 200

    def test_form_post_with_the_pages_token_succeeds(self, db, desk, application):
        """Does the hidden csrf_token of the page make a plain POST go through?"""
        page = f"/admin/applications/{application.id}"
        token = csrf_input(desk.get(page).text)
        response = desk.post(f"{page}/updates", data={
            "csrf_token": token, "public_note": "With a token.", "promised_by": "",
        })
        assert response.status_code == 303
        assert latest_update(db, application.id).public_note == "With a token."

    def test_htmx_post_with_the_header_token_succeeds(self, db, desk, application):
        """Does the X-CSRFToken header (from hx-headers on the page) authorise an htmx POST?"""
        page = f"/admin/applications/{application.id}"
        token = csrf_header(desk.get(page).text)
        response = desk.post(f"{page}/no-news", headers={**HTMX, "X-CSRFToken": token})
        assert response.status_code == 200
        assert "“No news yet” sent." in response.text
        assert latest_update(db, application.id).kind == UpdateKind.NO_NEWS


# --- setting up clients, jobs and applications ---------------------------------------------


def test_new_client_is_created(db, desk):
    """Does POST /admin/clients/new create the client and go on to its first job?"""
    response = desk.post("/admin/clients/new", data={
        "name": "Nordic Timber AB", "slug": "nordic-timber", "country": "no",
        "default_language": "en",
    })
    assert response.status_code == 303
    db.rollback()
    client = db.exec(select(Client).where(Client.slug == "nordic-timber")).one()
    assert (client.name, client.country, client.default_language) == (
        "Nordic Timber AB", "NO", "en"
    )
    location = urlsplit(response.location)
    assert location.path == "/admin/jobs/new"
    assert parse_qs(location.query)["client"] == [str(client.id)]


def test_duplicate_client_slug_is_422(db, desk):
    """Is a second client with a taken slug refused with 422 and a message?"""
    make_client(db, name="Acme AB", slug="acme")
    response = desk.post("/admin/clients/new", data={
        "name": "Acme Again AB", "slug": "acme", "country": "SE", "default_language": "sv",
    })
    assert response.status_code == 422
    assert "is already taken by another client" in unescape(response.text)
    assert 'value="Acme Again AB"' in response.text
    db.rollback()
    assert db.exec(select(func.count()).select_from(Client)).one() == 1


def _job_form(desk, client_id: int) -> dict[str, str]:
    page = desk.get(f"/admin/jobs/new?client={client_id}")
    assert page.status_code == 200
    return form_fields(page.text)


def _stages(db: Session, job_id: int) -> list[Stage]:
    db.rollback()
    return list(db.exec(select(Stage).where(Stage.job_id == job_id).order_by(Stage.position)))


def test_new_job_with_the_default_pipeline_as_rendered(db, desk, recruiter):
    """Posting the job form back as rendered: does the job get the 9 default stages?"""
    client = make_client(db)
    form = _job_form(desk, client.id)
    assert form["client_id"] == str(client.id)
    assert form["owner_id"] == str(recruiter.id)
    form["title"] = "Site Engineer"
    response = desk.post("/admin/jobs/new", data=form)
    assert response.status_code == 303
    db.rollback()
    job = db.exec(select(Job).where(Job.title == "Site Engineer")).one()
    assert (job.client_id, job.owner_id, job.promise_days) == (client.id, recruiter.id, 5)
    assert parse_qs(urlsplit(response.location).query)["job"] == [str(job.id)]
    stages = _stages(db, job.id)
    assert len(stages) == 9
    assert [(s.key, s.label, s.guidance, s.is_terminal, s.outcome) for s in stages] == [
        (spec.key, spec.label, spec.guidance, spec.is_terminal, spec.outcome)
        for spec in DEFAULT_PIPELINE
    ]


def test_new_job_keeps_an_edited_stage(db, desk):
    """Is an edited stage (own key and label, closing outcome) stored as typed?"""
    client = make_client(db)
    form = _job_form(desk, client.id)
    assert form["stage-4-key"] == "offer"
    form.update({
        "title": "Talent Pool", "stage-4-key": "talent_pool",
        "stage-4-label_en": "Kept for later roles", "stage-4-label_sv": "Sparad till senare",
        "stage-4-outcome": "closed",
    })
    response = desk.post("/admin/jobs/new", data=form)
    assert response.status_code == 303
    db.rollback()
    job = db.exec(select(Job).where(Job.title == "Talent Pool")).one()
    stages = _stages(db, job.id)
    assert len(stages) == 9
    edited = stages[4]
    assert edited.key == "talent_pool"
    assert edited.label == {"en": "Kept for later roles", "sv": "Sparad till senare"}
    assert (edited.is_terminal, edited.outcome) == (True, "closed")
    assert "offer" not in [stage.key for stage in stages]


def test_new_job_with_a_bad_stage_key_is_422(db, desk):
    """Is a stage key with spaces and capitals refused with 422, creating no job?"""
    client = make_client(db)
    form = _job_form(desk, client.id)
    form.update({"title": "Broken Pipeline", "stage-2-key": "Bad Key!"})
    response = desk.post("/admin/jobs/new", data=form)
    assert response.status_code == 422
    assert "must be lower-case letters" in unescape(response.text)
    assert 'value="Bad Key!"' in response.text
    db.rollback()
    assert db.exec(select(Job).where(Job.title == "Broken Pipeline")).first() is None


def test_new_application_redirects_to_its_page(db, desk, job):
    """Does POST /admin/applications/new create the application and open its page?"""
    response = desk.post("/admin/applications/new", data={
        "job_id": str(job.id), "name": "Olga Olsson", "email": "olga@mail.example",
        "language": "sv",
    })
    assert response.status_code == 303
    db.rollback()
    application = db.exec(
        select(Application).where(Application.email == "olga@mail.example")
    ).one()
    assert (application.name, application.language, application.job_id) == (
        "Olga Olsson", "sv", job.id
    )
    assert urlsplit(response.location).path == f"/admin/applications/{application.id}"
    page = desk.get(response.location)
    assert "Application added for Olga Olsson." in page.text


def test_new_application_with_a_bad_email_is_422_keeping_the_name(db, desk, job):
    """Is an invalid email refused with 422, the typed name still in the form?"""
    response = desk.post("/admin/applications/new", data={
        "job_id": str(job.id), "name": "Typed Name", "email": "not-an-email", "language": "",
    })
    assert response.status_code == 422
    assert 'value="Typed Name"' in response.text
    assert "not a valid email address" in response.text
    db.rollback()
    assert db.exec(select(func.count()).select_from(Application)).one() == 0
