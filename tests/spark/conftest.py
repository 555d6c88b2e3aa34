"""A real local Spark session (``local[2]``) for the Spark engine's tests, shared by them all."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest


@pytest.fixture(scope="session")
def spark() -> Iterator[Any]:
    from biaswatch.spark import spark_session

    session = spark_session("local[2]")
    yield session
    session.stop()
