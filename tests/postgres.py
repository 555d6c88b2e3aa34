"""A fresh PostgreSQL database per test, on the server this machine runs (127.0.0.1:5432)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

SERVER = os.environ.get(
    "BIASWATCH_TEST_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)


@contextmanager
def fresh_database() -> Iterator[str]:
    """Create a database, yield its URL, drop it afterwards. A missing server fails the test."""
    admin = create_engine(SERVER, isolation_level="AUTOCOMMIT")
    name = f"biaswatch_test_{uuid.uuid4().hex[:12]}"
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except OperationalError as exc:
        raise RuntimeError(
            f"PostgreSQL is not reachable at {SERVER} (start it, or set BIASWATCH_TEST_POSTGRES):"
            f" {exc}"
        ) from exc
    try:
        yield SERVER.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
