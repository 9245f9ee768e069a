"""The pages that take a directory file: an admin's import (/admin/import) and an agency's
upload of its own organization's HSDS file (/agency/upload).

They live with the importer, not among auth's admin pages or the agency pages, so that those
packages (which the importer reads) never import it back.
"""

from __future__ import annotations

from flask import Blueprint, g, render_template, request

from resdir.auth import policy
from resdir.auth.forms import ConfirmForm, require_valid_form
from resdir.errors import BadParameter
from resdir.interop.uploads import import_upload

bp = Blueprint("uploads", __name__)


@bp.route("/admin/import", methods=["GET", "POST"])
def import_directory():
    """Upload a directory file (HSDS or Ohana) and see the import report."""
    policy.require_admin(g.user)
    if request.method == "GET":
        return render_template("interop/import.html", form=ConfirmForm())
    require_valid_form()
    return _report(import_upload(request.files.get("file"),
                                 dry_run=bool(request.form.get("dry_run"))))


@bp.post("/agency/upload")
def agency_upload():
    """Load an HSDS file about the agency's own organization (others are refused)."""
    policy.require_role(g.user, "agency", "admin")
    require_valid_form()
    if g.user.organization_id is None:
        raise BadParameter("Only agency staff upload their organization's file.")
    return _report(import_upload(request.files.get("file"),
                                 dry_run=bool(request.form.get("dry_run")),
                                 organization_id=g.user.organization_id))


def _report(report):
    return render_template("interop/import_report.html", report=report), (
        200 if report.ok else 400)
