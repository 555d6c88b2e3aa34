"""``biaswatch endpoints``: where each endpoint's captures are, and its URL."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import typer

from biaswatch.cli.common import AsJson, Field, console, open_store, print_rows

__all__ = ["app"]

app = typer.Typer(
    help="Register and list the endpoints biaswatch monitors.",
    no_args_is_help=True,
    rich_markup_mode=None,
)

ENDPOINT_FIELDS = (
    Field("endpoint", "endpoint"),
    Field("variant", "variant"),
    Field("capture_uri", "capture", line=True),
    Field("url", "url", line=True),
)


@app.command("register")
def register(
    name: Annotated[
        str, typer.Argument(help="The endpoint's name, as the capture folders spell it.")
    ],
    capture_uri: Annotated[
        str,
        typer.Option(
            "--capture-uri",
            help="The capture root (DataCaptureConfig's destination): a folder or a file://,"
            " s3:// or memory:// URI.",
        ),
    ],
    url: Annotated[
        str | None,
        typer.Option(
            "--url",
            help="The model's HTTP URL, which baselines can call for predictions"
            " (biaswatch baseline --endpoint).",
        ),
    ] = None,
    variant: Annotated[
        str, typer.Option("--variant", help="The monitored production variant.")
    ] = "AllTraffic",
) -> None:
    """Register an endpoint (or change where it captures)."""
    from biaswatch.jobs.endpoints import record_endpoint

    endpoint = record_endpoint(
        open_store(), name, capture_uri, now=datetime.now(UTC), variant=variant, url=url
    )
    console.print(
        f"Registered {endpoint.endpoint_name}: captures under {endpoint.capture_uri}", markup=False
    )


@app.command("list")
def list_endpoints(as_json: AsJson = False) -> None:
    """List the registered endpoints.

    By name, each with its variant, capture root and URL (when it has one).
    """
    from biaswatch.jobs.endpoints import all_endpoints

    rows = [
        {
            "endpoint": endpoint.endpoint_name,
            "variant": endpoint.variant_name,
            "capture_uri": endpoint.capture_uri,
            "url": endpoint.url,
        }
        for endpoint in all_endpoints(open_store())
    ]
    print_rows(rows, ENDPOINT_FIELDS, as_json=as_json, title="Endpoints")
