"""``portal seed --applications N``: realistic bulk data, ids 1..N on an empty database."""

from datetime import timedelta

from sqlmodel import func, select

from portal.core.clock import today
from portal.core.tokens import make_status_token
from portal.models import Application, Client, Job, Recruiter, Update
from portal.services.applications import create_application
from portal.services.desk import DeskFilter, count_desk


def test_seed_fills_an_empty_database_with_ids_from_one(runner, session, client, app):
    result = runner.invoke(args=["seed", "--applications", "300", "--batch-size", "100"])
    assert result.exit_code == 0, result.output
    assert "Seeded 300 applications (ids 1–300)" in result.output

    ids = session.scalars(select(Application.id).order_by(Application.id)).all()
    assert ids == list(range(1, 301))
    assert session.scalar(select(func.count()).select_from(Client)) == 6
    assert session.scalar(select(func.count()).select_from(Recruiter)) == 6
    assert session.scalar(select(func.count()).select_from(Job)) >= 18
    per_application = session.execute(
        select(Update.application_id, func.count()).group_by(Update.application_id)
    ).all()
    assert len(per_application) == 300
    assert {count for _, count in per_application} <= {1, 2, 3, 4, 5}
    applications = session.scalars(select(Application)).all()
    assert {a.language for a in applications} == {"en", "sv"}
    open_ones = [a for a in applications if a.is_open]
    assert 0 < len(open_ones) < 300
    assert any(a.promised_by < today() for a in open_ones)  # overdue
    assert any(a.promised_by >= today() for a in open_ones)
    assert all(abs(a.promised_by - today()) <= timedelta(days=21) for a in open_ones)
    assert all(a.promised_by is None for a in applications if not a.is_open)

    # Every seeded application has a working status page.
    with app.app_context():
        links = [make_status_token(n, 1) for n in (1, 150, 300)]
    for token in links:
        response = client.get(f"/s/{token}")
        assert response.status_code == 200


def test_seed_appends_to_a_database_that_has_data(runner, session):
    assert runner.invoke(args=["seed", "--applications", "20"]).exit_code == 0
    result = runner.invoke(args=["seed", "--applications", "30"])
    assert result.exit_code == 0, result.output
    assert "ids 21–50" in result.output
    assert session.scalar(select(func.count()).select_from(Application)) == 50
    assert session.scalar(select(func.count()).select_from(Client)) == 6  # reused
    # Applications can still be added the ordinary way afterwards (sequences moved past ids).
    job = session.scalars(select(Job).order_by(Job.id)).first()
    added = create_application(session=session, job_id=job.id, name="After Seed",
                               email="after.seed@mail.example", notify=False)
    session.commit()
    assert added.id == 51


def test_seed_refuses_a_bad_count(runner):
    result = runner.invoke(args=["seed", "--applications", "0"])
    assert result.exit_code != 0
    assert "--applications" in result.output


def test_desk_count_stops_after_its_limit(runner, session):
    assert runner.invoke(args=["seed", "--applications", "60"]).exit_code == 0
    everything = DeskFilter(status="all")
    assert count_desk(session=session, desk_filter=everything, limit=None) == 60
    assert count_desk(session=session, desk_filter=everything, limit=10) == 11
