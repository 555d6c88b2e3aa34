"""Build the wheel, install it with plain pip into fresh venvs, one per extra, and smoke-test each.

Run with the development environment's Python (``make install-check``)::

    .venv/bin/python scripts/check_install.py [--python python3] [EXTRA ...]

Each venv is made by ``PYTHON -m venv`` and keeps the pip that venv ships (23.2 with Python
3.11); ``pip install 'biaswatch-….whl[EXTRA]'`` must resolve and install, then
``scripts/install_smoke.py`` runs inside the venv: ``--help``, ``analyze`` against a golden case,
a monitoring execution, and what the extra adds (an S3 output on moto's server, a PostgreSQL
store, CloudWatch sends, a server request, the demo, a Spark execution). The figures (install
and smoke seconds) are printed as a table; any failure exits 1.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.postgres import fresh_database  # noqa: E402
from tests.s3_server import moto_server  # noqa: E402

# Spark first: its sdist (~450 MB) is then built and in pip's cache before "all" needs it.
EXTRAS = ("spark", "core", "ft", "s3", "postgres", "cloudwatch", "server", "demo", "all")
WORK = REPO / "build" / "install-check"
CASE = REPO / "tests" / "golden" / "clarify" / "case-012"
INSTALL_TIMEOUT = 1200


@dataclass(frozen=True, slots=True)
class Outcome:
    """One extra's install and smoke test."""

    extra: str
    pip: str
    install_seconds: float
    smoke_seconds: float
    error: str | None


def build_wheel() -> Path:
    """The project's wheel, built afresh with the locked uv."""
    dist = WORK / "dist"
    shutil.rmtree(dist, ignore_errors=True)
    uv = REPO / ".tools" / "bin" / "uv"
    subprocess.run(
        [str(uv), "build", "--wheel", "--out-dir", str(dist), str(REPO)],
        check=True,
        capture_output=True,
    )
    (wheel,) = dist.glob("biaswatch-*.whl")
    return wheel


def check(extra: str, wheel: Path, python: str, environment: dict[str, str]) -> Outcome:
    """Make a venv, pip-install the wheel with ``extra``, run the smoke test; never raises."""
    venv = WORK / f"venv-{extra}"
    shutil.rmtree(venv, ignore_errors=True)
    subprocess.run([python, "-m", "venv", str(venv)], check=True)
    pip = subprocess.run(
        [str(venv / "bin" / "pip"), "--version"], capture_output=True, text=True, check=True
    ).stdout.split()[1]
    requirement = str(wheel) if extra == "core" else f"{wheel}[{extra}]"
    started = time.monotonic()
    installed = subprocess.run(
        [str(venv / "bin" / "pip"), "install", "--quiet", requirement],
        capture_output=True,
        text=True,
        timeout=INSTALL_TIMEOUT,
    )
    install_seconds = time.monotonic() - started
    if installed.returncode != 0:
        return Outcome(extra, pip, install_seconds, 0.0, installed.stderr[-3000:])
    home = WORK / f"home-{extra}"
    shutil.rmtree(home, ignore_errors=True)
    env = environment | {"BIASWATCH_HOME": str(home)}
    if extra not in ("cloudwatch", "all"):
        env.pop("BIASWATCH_CLOUDWATCH", None)
    smoke_script = str(REPO / "scripts" / "install_smoke.py")
    started = time.monotonic()
    with ExitStack() as stack:
        if extra in ("postgres", "all"):
            env["BIASWATCH_DATABASE_URL"] = stack.enter_context(fresh_database())
        smoke = subprocess.run(
            [str(venv / "bin" / "python"), smoke_script, extra, str(CASE)],
            capture_output=True,
            text=True,
            env=env,
            cwd=WORK,
            timeout=1800,
        )
    smoke_seconds = time.monotonic() - started
    print(f"--- {extra}\n{smoke.stdout}", end="", flush=True)
    error = None if smoke.returncode == 0 else (smoke.stdout + smoke.stderr)[-3000:]
    return Outcome(extra, pip, install_seconds, smoke_seconds, error)


@contextmanager
def services() -> Iterator[dict[str, str]]:
    """An S3 and CloudWatch server (moto) with a bucket; the environment pointing at it."""
    import boto3

    with moto_server() as moto:
        credentials = {
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": "us-east-1",
        }
        boto3.client("s3", endpoint_url=moto, **_lower(credentials)).create_bucket(Bucket="smoke")
        environment = {
            name: value
            for name, value in os.environ.items()
            if not name.startswith(("BIASWATCH_", "AWS_", "VIRTUAL_ENV", "PYTHON"))
        }
        yield (
            environment
            | credentials
            | {
                "BIASWATCH_S3_ENDPOINT_URL": moto,
                "BIASWATCH_CLOUDWATCH": "send",
                "BIASWATCH_CLOUDWATCH_ENDPOINT_URL": moto,
                "BIASWATCH_SPARK_MASTER": "local[1]",
                "SMOKE_S3_URI": "s3://smoke",
            }
        )


def _lower(credentials: dict[str, str]) -> dict[str, str]:
    return {
        "aws_access_key_id": credentials["AWS_ACCESS_KEY_ID"],
        "aws_secret_access_key": credentials["AWS_SECRET_ACCESS_KEY"],
        "region_name": credentials["AWS_DEFAULT_REGION"],
    }


def main() -> int:
    """Check the extras named on the command line (default: all of them); 0 if all pass."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("extras", nargs="*", metavar="EXTRA", help=f"of {', '.join(EXTRAS)}")
    parser.add_argument("--python", default=os.environ.get("PYTHON", "python3"))
    parser.add_argument("--jobs", type=int, default=2, help="venvs installed at once")
    arguments = parser.parse_args()
    unknown = set(arguments.extras) - set(EXTRAS)
    if unknown:
        parser.error(f"unknown extras {sorted(unknown)}; choose from {', '.join(EXTRAS)}")
    extras = arguments.extras or list(EXTRAS)
    WORK.mkdir(parents=True, exist_ok=True)
    wheel = build_wheel()
    print(f"wheel: {wheel.name}", flush=True)
    with services() as environment, ThreadPoolExecutor(arguments.jobs) as pool:
        outcomes = list(
            pool.map(
                lambda extra: check(extra, wheel, arguments.python, environment),
                extras,
            )
        )
    print(f"\n{'extra':<11} {'pip':<7} {'install s':>9} {'smoke s':>8}  result")
    for outcome in outcomes:
        result = "ok" if outcome.error is None else "FAILED"
        print(
            f"{outcome.extra:<11} {outcome.pip:<7} {outcome.install_seconds:>9.1f}"
            f" {outcome.smoke_seconds:>8.1f}  {result}"
        )
    failed = [o for o in outcomes if o.error is not None]
    for outcome in failed:
        print(f"\n=== {outcome.extra} failed:\n{outcome.error}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
