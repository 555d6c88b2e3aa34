"""Shared fixtures: a clean environment for every test, hypothesis profiles, the golden corpus."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from tests.processes import no_leaked_processes

__all__ = ["GOLDEN", "REPO", "no_leaked_processes", "run_cli"]

pytest_plugins = ["pytester"]

settings.register_profile(
    "ci", derandomize=True, database=None, deadline=None, max_examples=200,
    suppress_health_check=[HealthCheck.too_slow],
)  # fmt: skip
settings.register_profile("dev", deadline=None, max_examples=100)
settings.load_profile("ci" if os.environ.get("CI") else os.environ.get("HYPOTHESIS_PROFILE", "dev"))

REPO = Path(__file__).resolve().parent.parent
GOLDEN = REPO / "tests" / "golden" / "clarify"


def run_cli(args: list[str]) -> int:
    """Run ``biaswatch`` in this process and return its exit code."""
    from biaswatch.cli import main

    try:
        main(args)
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else 1
    raise AssertionError("the CLI returned without exiting")


@pytest.fixture(scope="session")
def s3_server() -> Iterator[str]:
    """The URL of a moto S3 server running on loopback for the whole session."""
    from tests.s3_server import moto_server

    with moto_server() as url:
        yield url


@pytest.fixture
def s3_bucket(s3_server: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """A fresh bucket on the S3 server, with biaswatch pointed at it; its ``s3://`` URI."""
    import uuid

    import boto3

    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "BIASWATCH_S3_ENDPOINT_URL": s3_server,
    }.items():
        monkeypatch.setenv(name, value)
    bucket = f"biaswatch-{uuid.uuid4().hex[:12]}"
    boto3.client("s3", endpoint_url=s3_server).create_bucket(Bucket=bucket)
    return f"s3://{bucket}"


@pytest.fixture(autouse=True)
def clean_environ(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Isolate every test from the developer's biaswatch and AWS settings."""
    for name in list(os.environ):
        if name.startswith(("BIASWATCH_", "AWS_")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("BIASWATCH_HOME", str(tmp_path / "biaswatch-home"))


@pytest.fixture(scope="session")
def demo_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """``biaswatch demo`` run once, as a user runs it (a process): its folder and its output.

    Shared by the demo's test and the dashboard's browser tests (the demo takes about a minute).
    """
    import subprocess
    import sys

    folder = tmp_path_factory.mktemp("demo") / "run"
    environment = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("BIASWATCH_", "AWS_"))
    }
    environment |= {"BIASWATCH_HOME": str(folder.parent / "home"), "COLUMNS": "160"}
    done = subprocess.run(
        [sys.executable, "-m", "biaswatch", "demo", "--folder", str(folder)],
        env=environment,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return folder, done.stdout


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Keep the tests that share an expensive session fixture on one pytest-xdist worker.

    With ``--dist loadgroup`` a group runs on one worker, so the demo runs once and one Spark
    session serves every Spark test, however many workers there are. (First among the hooks:
    pytest-xdist reads the groups in its own, which would otherwise run before this one.)
    """
    for item in items:
        fixtures = getattr(item, "fixturenames", ())
        if "demo_run" in fixtures:
            item.add_marker(pytest.mark.xdist_group("demo"))
        elif "spark" in fixtures or item.path.is_relative_to(REPO / "tests" / "spark"):
            item.add_marker(pytest.mark.xdist_group("spark"))
