"""``portal applications import`` and ``export``: CSV files in and out of the portal."""

import sys
from pathlib import Path

import click
from flask.cli import with_appcontext

from portal.cli.common import cli_errors, parse_id
from portal.core.db import get_session
from portal.services.audit import Actor
from portal.services.csv_export import DELIMITERS, csv_chunks, export_rows, record_export
from portal.services.csv_import import ImportFileError, describe_problems, import_csv
from portal.services.desk import STATUSES, DeskFilter


@click.command("import")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--job", "job_id", required=True, callback=parse_id, help="The job's id.")
@click.option("--dry-run", is_flag=True, help="Check every row and import nothing.")
@with_appcontext
@cli_errors
def import_applications(file: Path, job_id: int, dry_run: bool) -> None:
    """Import candidates from a CSV file (name, email, language, stage, note columns).

    Each imported candidate gets the acknowledgement email; rows with problems are listed
    as "row N, column: problem" and skipped. Exits non-zero when nothing could be imported.
    """
    session = get_session()
    try:
        binary = file.open("rb")
    except OSError as error:
        raise click.ClickException(f"cannot read {file}: {error.strerror}") from None

    def progress(rows: int) -> None:
        click.echo(f"… {rows} rows {'checked' if dry_run else 'read'}", err=True)

    with binary:
        try:
            report = import_csv(session=session, binary=binary, job_id=job_id, dry_run=dry_run,
                                actor=Actor.cli(), progress=progress)
        except ImportFileError as error:
            raise click.ClickException(error.message) from None
    for notice in report.notices:
        click.echo(f"Note: {notice}")
    if report.ignored_columns:
        click.echo(f"Ignored columns: {', '.join(report.ignored_columns)}")
    skipped = report.skipped_rows
    rows_word = "row" if skipped == 1 else "rows"
    if dry_run:
        would = "application" if report.imported == 1 else "applications"
        click.echo(f"Dry run: {report.imported} {would} would be imported; "
                   f"{skipped} {rows_word} would be skipped; nothing was imported")
    else:
        word = "application" if report.imported == 1 else "applications"
        click.echo(f"Imported {report.imported} {word}; {skipped} {rows_word} skipped")
    for line in describe_problems(report.problems):
        click.echo(line)
    if report.imported == 0:
        sys.exit(1)


@click.command("export")
@click.option("--job", "job_id", default=None, callback=parse_id, help="Only this job.")
@click.option("--client", "client_id", default=None, callback=parse_id,
              help="Only this client.")
@click.option("--stage", "stage_key", default=None, help="Only this stage key.")
@click.option("--status", type=click.Choice(STATUSES), default="all", show_default=True)
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write to this file (default: standard output).")
@click.option("--delimiter", type=click.Choice(list(DELIMITERS)), default="semicolon",
              show_default=True, help="semicolon for Excel in Sweden, comma for English Excel.")
@click.option("--with-links", is_flag=True,
              help="Add each candidate's status link (whoever has the file can open them).")
@with_appcontext
@cli_errors
def export_applications(
    job_id: int | None, client_id: int | None, stage_key: str | None, status: str,
    output: Path | None, delimiter: str, with_links: bool,
) -> None:
    """Export applications as CSV (UTF-8 with BOM), the same columns as the desk's export."""
    session = get_session()
    desk_filter = DeskFilter(client_id=client_id, job_id=job_id, stage_key=stage_key,
                             status=status)
    record_export(session=session, desk_filter=desk_filter, with_links=with_links,
                  actor=Actor.cli())
    session.commit()
    written = [0]

    def counted():
        for row in export_rows(session=session, desk_filter=desk_filter, with_links=with_links):
            written[0] += 1
            yield row

    chunks = csv_chunks(counted(), delimiter=DELIMITERS[delimiter])
    if output is None:
        stream = sys.stdout.buffer
        for chunk in chunks:
            stream.write(chunk)
        stream.flush()
        return
    partial = output.with_name(output.name + ".part")
    try:
        with partial.open("wb") as out:
            for chunk in chunks:
                out.write(chunk)
        partial.replace(output)
    except OSError as error:
        partial.unlink(missing_ok=True)
        raise click.ClickException(f"cannot write {output}: {error.strerror}") from None
    count = written[0] - 1  # the header
    click.echo(f"Exported {count} {'application' if count == 1 else 'applications'} to {output}")
