"""``biaswatch ground-truth upload``: send late labels in SageMaker's ground-truth format."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from biaswatch.cli.common import console, read_input
from biaswatch.errors import ConfigError, ConfigMismatchError, DataError

if TYPE_CHECKING:
    from biaswatch.capture import GroundTruthRecord

__all__ = ["app"]

app = typer.Typer(
    help="Upload ground-truth labels for executions to join.",
    no_args_is_help=True,
    rich_markup_mode=None,
)


def _records_from_csv(
    text: str, *, id_column: str, label_column: str, source: str
) -> list[GroundTruthRecord]:
    from biaswatch.capture import GroundTruthRecord

    reader = csv.DictReader(io.StringIO(text))
    for column, option in ((id_column, "--id-column"), (label_column, "--label-column")):
        if column not in (reader.fieldnames or []):
            raise ConfigMismatchError(
                f"{source}: no column {column!r} ({option}); columns are {reader.fieldnames}",
                field=option,
                value=column,
                path=source,
            )
    records = []
    for number, row in enumerate(reader, start=2):
        if not row.get(id_column):
            raise DataError(f"{source}, line {number}: the id is empty", path=source, line=number)
        records.append(GroundTruthRecord(row[id_column], row[label_column] or ""))
    return records


def _records_from_jsonl(text: str, *, source: str) -> list[GroundTruthRecord]:
    from biaswatch.capture import parse_ground_truth_line
    from biaswatch.records import Malformed

    records = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            records.append(parse_ground_truth_line(line))
        except Malformed as exc:
            raise DataError(
                f"{source}, line {number}: {exc.reason}", path=source, line=number
            ) from exc
    return records


@app.command("upload")
def upload(
    ground_truth_uri: Annotated[
        str,
        typer.Option(
            "--ground-truth-uri",
            help="The schedule's ground-truth root (a folder or URI): its --ground-truth-uri.",
        ),
    ],
    labels: Annotated[
        Path,
        typer.Option(
            "--labels",
            help="A CSV file of ids and labels, or SageMaker ground-truth JSON Lines (a .jsonl"
            " or .json file).",
            exists=True,
            dir_okay=False,
        ),
    ],
    id_column: Annotated[
        str, typer.Option(help="The CSV column of inference (or event) ids.")
    ] = "inference_id",
    label_column: Annotated[str, typer.Option(help="The CSV column of labels.")] = "label",
    collected_at: Annotated[
        str | None,
        typer.Option(
            help="When the labels were collected, ISO-8601 (UTC unless it has an offset), e.g."
            " 2026-11-24T12:40Z; it picks their hour folder. Default: now.",
        ),
    ] = None,
) -> None:
    """Upload labels to the hour folder of their collection time.

    Executions join them to captured inferences by id. Nothing is overwritten: each upload is a
    new file.
    """
    from biaswatch.capture import upload_ground_truth
    from biaswatch.capture.endpoint import parse_inference_time

    source = str(labels)
    try:
        text = read_input(labels, "--labels").decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f"--labels {source!r} is not UTF-8 text: {exc}", field="--labels", value=source
        ) from exc
    if labels.suffix.lower() in (".jsonl", ".json"):
        records = _records_from_jsonl(text, source=source)
    else:
        records = _records_from_csv(
            text, id_column=id_column, label_column=label_column, source=source
        )
    if not records:
        raise DataError(f"{source} holds no labels", path=source)
    moment = parse_inference_time(collected_at) if collected_at else datetime.now(UTC)
    uri = upload_ground_truth(ground_truth_uri, records, collected_at=moment)
    console.print(f"Uploaded {len(records)} labels to {uri}", markup=False)
