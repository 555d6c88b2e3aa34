"""The typer application, its error handling and exit codes.

Exit codes: 0 success or ``Completed``; 3 ``CompletedWithViolations``; 2 a usage or config
error; 1 any other failure.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from biaswatch import __version__
from biaswatch.cli import endpoints, executions, ground_truth, schedules
from biaswatch.cli.baseline import baseline_command
from biaswatch.cli.common import console, errors, logs_shown, read_input
from biaswatch.cli.demo import demo_command
from biaswatch.cli.scheduler import scheduler_command
from biaswatch.cli.server import server_command
from biaswatch.errors import BiaswatchError

__all__ = ["app", "main"]

_HELP = """Bias-drift monitoring for deployed ML models, compatible with SageMaker Model Monitor
and Clarify.

Data lives in $BIASWATCH_HOME (default ~/.biaswatch): the store biaswatch.db (SQLite) of
endpoints, baselines, schedules and executions, and the files of schedules and captures that
name no other location. Run a command with --help to see its options.
"""

# \b keeps click from rewrapping the table of variables.
_EPILOG = """\b
Environment:
  BIASWATCH_HOME                 where data lives (default ~/.biaswatch)
  BIASWATCH_DATABASE_URL         another store, e.g. postgresql+psycopg://...
  BIASWATCH_S3_ENDPOINT_URL      an S3-compatible server; AWS_* as usual
  BIASWATCH_ENGINE               local (default), spark or auto
  BIASWATCH_SPARK_MASTER         Spark's master (default local[*])
  BIASWATCH_CLOUDWATCH           file (default), send or off
  BIASWATCH_PROMETHEUS_TEXTFILE  a Prometheus text file kept up to date
  BIASWATCH_API_TOKEN            a token that biaswatch server then requires
  BIASWATCH_BASE_URL             the dashboard's URL, for links in notices
  BIASWATCH_SMTP_HOST            the SMTP server of mailto: notifications

Also BIASWATCH_FT_SAMPLE, BIASWATCH_SPARK_THRESHOLD, BIASWATCH_SPARK_FT_SAMPLE,
BIASWATCH_SPARK_PYTHON, BIASWATCH_CLOUDWATCH_ENDPOINT_URL, BIASWATCH_SMTP_PORT,
BIASWATCH_SMTP_STARTTLS, BIASWATCH_SMTP_FROM, BIASWATCH_SMTP_USERNAME and
BIASWATCH_SMTP_PASSWORD (see the README, docs/notifications.md and docs/spark.md).

Exit codes: 0 success or Completed, 3 CompletedWithViolations, 2 a usage or configuration
error, 1 any other failure.
"""

app = typer.Typer(
    name="biaswatch",
    help=_HELP,
    epilog=_EPILOG,
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    # Plain help and usage errors: they start at once (typer's rich formatting costs ~0.2 s of
    # imports) and are never cut to fit a box.
    rich_markup_mode=None,
)


def _version(value: bool) -> None:
    if value:
        console.print(f"biaswatch {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Show the version and exit."
        ),
    ] = False,
) -> None:
    """Bias-drift monitoring for deployed ML models (the help is ``_HELP``)."""


@app.command("analyze")
def analyze_command(
    analysis_config: Annotated[
        Path,
        typer.Option(
            "--analysis-config",
            help="The Clarify analysis config (a JSON file): label, facets, methods, and the"
            " dataset_type of --dataset.",
            exists=True,
            dir_okay=False,
        ),
    ],
    dataset: Annotated[
        Path,
        typer.Option(
            "--dataset",
            help="The dataset to analyse (a file: CSV, JSON Lines, one JSON document or"
            " Parquet, as the config's dataset_type says).",
            exists=True,
            dir_okay=False,
        ),
    ],
    output_dir: Annotated[
        str,
        typer.Option(
            "--output-dir",
            help="Where analysis.json and report.html are written (a folder or URI).",
        ),
    ],
) -> None:
    """Compute a dataset's Clarify bias metrics, with a report.

    Writes analysis.json (SageMaker Clarify's format) and report.html to --output-dir.
    Warnings and notes about the config (e.g. a threshold applied to a 0/1 label) go to stderr.
    """
    from biaswatch.analysis import analyze, dump_analysis, read_dataset
    from biaswatch.config import parse_analysis_config
    from biaswatch.report import render_report
    from biaswatch.storage import join, write_bytes

    # The analysis logs what a person should know (warnings, and notes at INFO): shown on
    # stderr once it ends, also when it fails.
    with logs_shown("biaswatch.analysis", level=logging.INFO):
        config = parse_analysis_config(
            read_input(analysis_config, "--analysis-config"), source=str(analysis_config)
        )
        result = analyze(read_dataset(dataset, config), config)
    write_bytes(join(output_dir, "analysis.json"), dump_analysis(result))
    report = render_report(result, title="Bias analysis", subtitle=f"dataset {dataset}")
    write_bytes(join(output_dir, "report.html"), report.encode())
    entries = sum(len(f) for stage in result.stages for f in stage.facets.values())
    console.print(
        f"Analysed {result.rows} rows, {entries} facet entries"
        f" ({', '.join(s.stage.value.replace('_', '-') for s in result.stages)})."
    )
    console.print(f"analysis.json: {join(output_dir, 'analysis.json')}", markup=False)
    console.print(f"report:        {join(output_dir, 'report.html')}", markup=False)


app.command("baseline")(baseline_command)
app.add_typer(endpoints.app, name="endpoints")
app.add_typer(schedules.app, name="schedules")
app.add_typer(executions.app, name="executions")
app.command("backfill")(executions.backfill_command)
app.command("scheduler")(scheduler_command)
app.command("server")(server_command)
app.add_typer(ground_truth.app, name="ground-truth")
app.command("demo")(demo_command)


def main(argv: list[str] | None = None) -> None:
    """Run the CLI on ``argv`` (default: the process arguments); always exits.

    Usage errors are typer's (exit code 2); a biaswatch error becomes one line on stderr and
    its class's ``exit_code``.
    """
    try:
        app(args=argv, prog_name="biaswatch")
    except BiaswatchError as exc:
        errors.print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False)
        sys.exit(exc.exit_code)
