"""Categories for every program: the taxonomy crosswalk (a source's terms -> resdir's
categories), the text classifier for programs without a usable term, and the admin review
queue of the classifier's uncertain suggestions."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    # Pages and APIs load when the app is built, not with the package: models import the
    # package (Alembic, other features' models) and must not pull in every feature's views.
    from resdir.categorize import (  # noqa: PLC0415
        models,  # noqa: F401  (tables known to Alembic)
        views,
    )

    app.register_blueprint(views.bp)
