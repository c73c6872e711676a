"""`liberta generate`: write realistic raw events (and a summary) to a directory or S3."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import typer

from liberta.generator.config import COMPRESSIONS, GeneratorConfig
from liberta.generator.engine import generate as run_generator


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"{value!r} is not a date (use YYYY-MM-DD)") from None


def generate(
    out: Annotated[
        str,
        typer.Option(
            help="Output root: a local directory or s3://bucket/prefix (honours AWS_ENDPOINT_URL)."
        ),
    ],
    events: Annotated[
        int, typer.Option(help="Distinct valid events to write (faults come on top).")
    ] = 100_000,
    start_date: Annotated[
        str, typer.Option(help="First day of play (UTC, YYYY-MM-DD).")
    ] = "2024-03-01",
    days: Annotated[int, typer.Option(help="Days of play; one dt= partition per day.")] = 14,
    players: Annotated[int, typer.Option(help="Players who install during the window.")] = 2_000,
    seed: Annotated[
        int, typer.Option(help="Random seed: the same arguments give the same bytes.")
    ] = 0,
    compression: Annotated[
        str, typer.Option(help=f"File compression: {', '.join(COMPRESSIONS)} (lzo = lzop files).")
    ] = "gz",
    files_per_day: Annotated[
        int, typer.Option(help="Files per dt= partition (by arrival time).")
    ] = 4,
    duplicate_rate: Annotated[
        float,
        typer.Option(help="Extra exact copies of valid lines, per event (same or other file)."),
    ] = 0.0,
    late_rate: Annotated[
        float, typer.Option(help="Share of each day's lines moved to late-* files of that dt.")
    ] = 0.0,
    corrupt_rate: Annotated[
        float,
        typer.Option(
            help="Faulty lines per event, split evenly across truncated, non_json, wrong_type, "
            "missing_field, unknown_category, negative_amount, unknown_currency and "
            "future_clock (valid, time-corrected)."
        ),
    ] = 0.0,
    late_out: Annotated[
        str | None,
        typer.Option(help="Write late-* files under this root instead, to deliver them later."),
    ] = None,
    overwrite: Annotated[
        bool, typer.Option(help="Replace events/ and the summary if the output already has them.")
    ] = False,
) -> None:
    """Generate raw game events (GameAnalytics export shape) for the pipeline to read.

    Files: OUT/events/dt=YYYY-MM-DD/events-NNNNN.json[.gz|.bz2|.lzo], dt = UTC date of arrival.

    Late files (--late-rate): late-00000.json[...] in the same dt= folder, or under --late-out.

    Summary: OUT/_generator_summary.json, exact counts and the figures a pipeline must report.
    """
    if compression not in COMPRESSIONS:
        raise typer.BadParameter(
            f"{compression!r} is not one of {', '.join(COMPRESSIONS)}", param_hint="--compression"
        )
    try:
        config = GeneratorConfig(
            events=events,
            start_date=_date(start_date),
            days=days,
            players=players,
            seed=seed,
            out=out,
            compression=compression,  # type: ignore[arg-type]
            files_per_day=files_per_day,
            duplicate_rate=duplicate_rate,
            late_rate=late_rate,
            corrupt_rate=corrupt_rate,
            late_out=late_out,
            overwrite=overwrite,
        )
        summary = run_generator(config)
    except (ValueError, FileExistsError) as exc:
        typer.secho(f"error: {exc}", err=True, fg=typer.colors.RED)
        raise typer.Exit(2) from None
    lines = summary.lines
    typer.echo(
        f"wrote {lines['read']:,} lines in {len(summary.files)} files to {summary.events_uri} "
        f"({lines['valid']:,} valid events, {lines['invalid']:,} invalid, "
        f"{lines['duplicates']:,} duplicates) in {summary.elapsed_s:.1f} s "
        f"({summary.events_per_s:,.0f} events/s)"
    )
    typer.echo(f"summary: {summary.summary_uri}")
