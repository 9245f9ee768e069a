"""The pages that take a directory file: an admin's import (/admin/import) and an agency's
upload of its own organization's HSDS file (/agency/upload). Each upload becomes an import
job (import_views.answer): its report when it is done soon, else its progress page.

They live with the importer, not among auth's admin pages or the agency pages, so that those
packages (which the importer reads) never import it back.
"""

from __future__ import annotations

from flask import Blueprint, g, render_template, request

from resdir.auth import policy
from resdir.auth.forms import ConfirmForm, require_valid_form
from resdir.errors import BadParameter
from resdir.interop import import_jobs
from resdir.interop.import_views import answer

bp = Blueprint("uploads", __name__)


@bp.route("/admin/import", methods=["GET", "POST"])
def import_directory():
    """Upload a directory file (HSDS or Ohana) and see the import report."""
    policy.require_admin(g.user)
    if request.method == "GET":
        return render_template("interop/import.html", form=ConfirmForm(),
                               jobs=import_jobs.recent(g.user, None))
    require_valid_form()
    return answer(request.files.get("file"), dry_run=bool(request.form.get("dry_run")))


@bp.post("/agency/upload")
def agency_upload():
    """Load an HSDS file about the agency's own organization (others are refused)."""
    policy.require_role(g.user, "agency", "admin")
    require_valid_form()
    if g.user.organization_id is None:
        raise BadParameter("Only agency staff upload their organization's file.")
    return answer(request.files.get("file"), dry_run=bool(request.form.get("dry_run")),
                  organization_id=g.user.organization_id)
