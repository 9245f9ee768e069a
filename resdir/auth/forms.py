"""Forms (Flask-WTF: every post carries a CSRF token)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional

from resdir.auth.models import ROLES
from resdir.errors import BadParameter


class LoginForm(FlaskForm):
    email = EmailField("E-mail", validators=[DataRequired(), Length(max=320)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=256)])


class CodeForm(FlaskForm):
    code = StringField("6-digit code", validators=[DataRequired(), Length(min=6, max=8)])


class PasswordForm(FlaskForm):
    password = PasswordField("New password", validators=[DataRequired(), Length(min=12, max=256)])


class InviteForm(FlaskForm):
    email = EmailField("E-mail", validators=[DataRequired(), Length(max=320)])
    name = StringField("Name", validators=[Optional(), Length(max=200)])
    role = SelectField("Role", choices=list(ROLES))
    organization = StringField("Organization (name or id)", validators=[Optional(),
                                                                        Length(max=300)])


class RoleForm(FlaskForm):
    role = SelectField("Role", choices=list(ROLES))
    organization = StringField("Organization (name or id)", validators=[Optional(),
                                                                        Length(max=300)])


class ConfirmForm(FlaskForm):
    """A button with a CSRF token (deactivate, sign out)."""


def require_valid_form() -> None:
    """Stop a post whose CSRF token is missing or stale, with a message that says what to do."""
    if not ConfirmForm().validate_on_submit():
        raise BadParameter("The form expired; reload the page and try again.")
