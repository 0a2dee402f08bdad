"""First checks that the app, its database and the status page hang together."""

from portal.core.tokens import status_url_for
from tests.factories import make_application


def test_status_page_shows_stage(app, client, session):
    """Does a fresh application's link open a page naming its job and stage?"""
    application = make_application(session)
    with app.test_request_context():
        url = status_url_for(application.id, application.token_version)
    response = client.get(url.removeprefix("http://portal.test"))
    assert response.status_code == 200
    assert "Application received" in response.text
    assert "Backend Engineer" in response.text
