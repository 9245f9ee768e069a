"""`resdir create-user` and `resdir create-token`."""

from __future__ import annotations

import sys

import click

from resdir.auth import operations
from resdir.errors import ResdirError


def _password_from_stdin() -> str | None:
    """A password piped on standard input, or None when there is none (or a terminal)."""
    stream = sys.stdin
    if stream is None or stream.isatty():
        return None
    line = stream.readline().rstrip("\r\n")
    return line or None


def register(group) -> None:
    @group.command("create-user")
    @click.argument("email")
    @click.option("--role", required=True, type=click.Choice(["admin", "coordinator", "agency"]))
    @click.option("--organization", default=None,
                  help="Care organization (coordinator; created if new) or directory "
                       "organization (agency staff), by id or name.")
    @click.option("--name", default=None, help="The person's name (default: from the e-mail).")
    def create_user(email: str, role: str, organization: str | None, name: str | None) -> None:
        """Create a user. Password from standard input, else a one-time link is printed."""
        password = _password_from_stdin()
        try:
            user = operations.create_user(email, role, organization, name, password=password)
            if password is None:
                link = operations.setup_link(operations.setup_link_token(user))
                click.echo(f"created {role} {user.email} (id {user.id})")
                click.echo("one-time set-password link (shown once):")
                click.echo(link)
            else:
                click.echo(f"created {role} {user.email} (id {user.id}) with the given password")
        except ResdirError as exc:
            raise click.ClickException(exc.message) from None

    @group.command("create-token")
    @click.argument("email")
    def create_token(email: str) -> None:
        """Create an API token; it is printed once, as the last line."""
        try:
            user = operations.user_by_email(email)
            token = operations.create_api_token(user)
        except ResdirError as exc:
            raise click.ClickException(exc.message) from None
        click.echo(f"API token for {user.email} (stored only as a hash; shown once):")
        sys.stdout.flush()
        click.echo(token)
