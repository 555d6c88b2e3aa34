"""``biaswatch endpoints``: where each endpoint's captures are, and its URL."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import typer

from biaswatch.cli.common import AsJson, console, open_store, print_rows

__all__ = ["app"]

app = typer.Typer(
    help="The endpoints biaswatch monitors.", no_args_is_help=True, rich_markup_mode=None
)


@app.command("register")
def register(
    name: Annotated[str, typer.Argument(help="The endpoint name.")],
    capture_uri: Annotated[
        str, typer.Option("--capture-uri", help="The capture root (DataCaptureConfig's URI).")
    ],
    url: Annotated[
        str | None, typer.Option("--url", help="Where the model serves, for baselines.")
    ] = None,
    variant: Annotated[str, typer.Option("--variant", help="The monitored variant.")] = (
        "AllTraffic"
    ),
) -> None:
    """Register an endpoint (or change where it captures)."""
    from biaswatch.jobs.endpoints import record_endpoint

    endpoint = record_endpoint(
        open_store(), name, capture_uri, now=datetime.now(UTC), variant=variant, url=url
    )
    console.print(f"Registered {endpoint.endpoint_name}: captures under {endpoint.capture_uri}")


@app.command("list")
def list_endpoints(as_json: AsJson = False) -> None:
    """List the registered endpoints."""
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
    print_rows(rows, as_json=as_json)
