"""Sign in, second factor, sign out, set a password."""

from __future__ import annotations

from urllib.parse import urlsplit

import pyotp
import segno
from flask import (
    Blueprint,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)

from resdir.auth import operations, policy
from resdir.auth.forms import CodeForm, ConfirmForm, LoginForm, PasswordForm
from resdir.errors import BadParameter
from resdir.extensions import limiter

bp = Blueprint("auth", __name__)
REFUSED = "That e-mail and password do not match an active account."


def safe_next(target: str | None) -> str:
    """Only same-site paths: no scheme, no host, no '//' or backslash tricks."""
    default = url_for("directory.search")
    if not target:
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") \
            or "\\" in target:
        return default
    return target


def _account_key() -> str:
    return "account:" + (request.form.get("email") or "").strip().lower()


def _address_limit() -> str:
    return current_app.config["RESDIR_LOGIN_LIMIT_ADDRESS"]


def _account_limit() -> str:
    return current_app.config["RESDIR_LOGIN_LIMIT_ACCOUNT"]


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_address_limit, methods=["POST"])
@limiter.limit(_account_limit, methods=["POST"], key_func=_account_key)
def login():
    """Sign in with e-mail and password."""
    form = LoginForm()
    next_url = safe_next(request.values.get("next"))
    if form.validate_on_submit():
        user = operations.authenticate(form.email.data, form.password.data)
        if user is None:
            return render_template("auth/login.html", form=form, error=REFUSED,
                                   next=next_url), 401
        operations.sign_in(user)
        if policy.needs_second_factor(user):
            session["after_login"] = next_url
            return redirect(url_for("auth.second_factor"))
        return redirect(next_url)
    status = 400 if request.method == "POST" else 200
    return render_template("auth/login.html", form=form, error=None, next=next_url), status


def _pending_key() -> str:
    pending = g.get("pending")
    return "second-factor:" + (pending.id if pending else "none")


def _second_factor_limit() -> str:
    return current_app.config["RESDIR_SECOND_FACTOR_LIMIT_ACCOUNT"]


@bp.route("/login/second-factor", methods=["GET", "POST"])
@limiter.limit(_address_limit, methods=["POST"])
@limiter.limit(_second_factor_limit, methods=["POST"], key_func=_pending_key,
               exempt_when=lambda: g.get("pending") is None)  # no account: only redirected
def second_factor():
    """Ask for the authenticator code (and enrol one the first time, as admins must)."""
    user = g.get("pending")
    if user is None:
        return redirect(url_for("auth.login"))
    form = CodeForm()
    enrolling = not user.totp_secret
    secret = session.setdefault("totp_enrol", pyotp.random_base32()) if enrolling else None
    if form.validate_on_submit():
        if operations.pass_second_factor(user, form.code.data, secret=secret):
            session.pop("totp_enrol", None)
            return redirect(safe_next(session.pop("after_login", None)))
        flash("That code did not match. Codes change every 30 seconds.")
    qr = uri = None
    if enrolling:
        uri = pyotp.TOTP(secret).provisioning_uri(
            name=user.email, issuer_name=current_app.config["RESDIR_TOTP_ISSUER"])
        qr = segno.make(uri).svg_data_uri(scale=4)
    return render_template("auth/second_factor.html", form=form, enrolling=enrolling,
                           secret=secret, uri=uri, qr=qr)


@bp.post("/logout")
def logout():
    """Sign out: the server-side session ends, not only the cookie."""
    form = ConfirmForm()
    if form.validate_on_submit():
        operations.sign_out(g.user or g.pending)
    return redirect(url_for("directory.search"))


@bp.route("/set-password/<token>", methods=["GET", "POST"])
@limiter.limit(_address_limit, methods=["POST"])
def set_password(token: str):
    """Choose a password through a one-time link."""
    user = operations.user_for_setup_token(token)
    form = PasswordForm()
    error = None
    if form.validate_on_submit():
        try:
            operations.set_password_with_token(token, form.password.data)
        except BadParameter as exc:
            error = exc.message
        else:
            flash("Your password is set. Please sign in.")
            return redirect(url_for("auth.login"))
    elif request.method == "POST":
        error = "Use at least 12 characters."
    return render_template("auth/set_password.html", form=form, user=user, error=error), (
        400 if error else 200)


@bp.route("/account/second-factor", methods=["GET", "POST"])
def enrol_second_factor():
    """Add an authenticator app (optional for coordinators and agency staff)."""
    policy.require_login(g.user)
    form = CodeForm()
    secret = session.setdefault("totp_enrol", pyotp.random_base32())
    if form.validate_on_submit():
        if operations.pass_second_factor(g.user, form.code.data, secret=secret):
            session.pop("totp_enrol", None)
            flash("Your authenticator app is set up; sign-ins will ask for a code.")
            return redirect(url_for("directory.search"))
        flash("That code did not match. Codes change every 30 seconds.")
    uri = pyotp.TOTP(secret).provisioning_uri(
        name=g.user.email, issuer_name=current_app.config["RESDIR_TOTP_ISSUER"])
    return render_template("auth/second_factor.html", form=form, enrolling=True, secret=secret,
                           uri=uri, qr=segno.make(uri).svg_data_uri(scale=4),
                           action=url_for("auth.enrol_second_factor"))
