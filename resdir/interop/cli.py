"""`resdir export-hsds DIR`."""

from __future__ import annotations

import time

import click

from resdir.interop.hsds_export_tables import export


def register(group) -> None:
    @group.command("export-hsds")
    @click.argument("directory", type=click.Path(file_okay=False))
    def export_hsds(directory: str) -> None:
        """Write the directory as HSDS 3.0: services.json and the CSV datapackage.

        Confidential locations go out without address or coordinates."""
        started = time.perf_counter()
        counts = export(directory)
        click.echo(f"exported {counts['services']} services, {counts['organization']} "
                   f"organizations, {counts['location']} locations to {directory} "
                   f"in {time.perf_counter() - started:.1f}s")
