"""The candidate status portal: ``create_app()`` builds the Flask application."""

from pathlib import Path

from flask import Flask

_PACKAGE = Path(__file__).parent


def _asset_folder(name: str) -> str:
    # In a wheel, templates/ and static/ live inside the package; in a checkout, beside it.
    inside = _PACKAGE / name
    return str(inside if inside.is_dir() else _PACKAGE.parent / name)


def create_app(test_config: dict | None = None, *, demo: bool = False) -> Flask:
    """Build the app: configuration, database, extensions and blueprints."""
    from portal.web.hotpath import PortalFlask

    app = PortalFlask(
        __name__,
        instance_relative_config=True,
        template_folder=_asset_folder("templates"),
        static_folder=_asset_folder("static"),
    )
    from portal import admin, api, auth, candidate, cli, desk, embed, web
    from portal.api.problems import from_http_exception
    from portal.core import config, db
    from portal.web import fast_poll, health, hotpath, i18n
    from portal.web.errors import answer_errors_under

    config.load_config(app, test_config)
    if demo:
        app.config["DEMO"] = True
    config.refuse_insecure_key(app)
    app.config.setdefault("BUILD_ID", _build_id(app))

    db.init_app(app)
    i18n.init_app(app)
    web.init_app(app)
    auth.init_app(app)

    # One package per area of URLs (see the map in README.md's Design section).
    for blueprint in (
        *candidate.BLUEPRINTS, *auth.BLUEPRINTS, *desk.BLUEPRINTS, *admin.BLUEPRINTS,
        *embed.BLUEPRINTS, *api.BLUEPRINTS, health.bp,
    ):
        app.register_blueprint(blueprint)

    answer_errors_under(app, "/api/", from_http_exception)  # problem+json
    cli.init_app(app)
    hotpath.init_app(app)
    fast_poll.init_app(app)
    return app


def _build_id(app: Flask) -> str:
    """Same in every worker of one deployment; changes when templates or the version do."""
    import hashlib
    from importlib.metadata import PackageNotFoundError, version

    try:
        release = version("candidate-portal")
    except PackageNotFoundError:
        release = "dev"
    digest = hashlib.blake2b(release.encode(), digest_size=8)
    for path in sorted(Path(app.template_folder).rglob("*.html")):
        digest.update(path.read_bytes())
    return digest.hexdigest()
