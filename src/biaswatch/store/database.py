"""Opening the metadata store: SQLite under ``BIASWATCH_HOME`` by default, or any SQLAlchemy URL.

``BIASWATCH_DATABASE_URL`` selects another database (``postgresql+psycopg://…``). Opening a
store applies the schema migrations (alembic) it has not seen yet; a database already at the
latest revision is recognised by one query, without importing alembic. A store a newer biaswatch
has migrated further is refused with a :class:`~biaswatch.errors.StorageError` that says so and
changes nothing. SQLite runs in WAL mode, so readers (the dashboard) do not block the
scheduler's writes.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, inspect, text
from sqlalchemy.exc import SQLAlchemyError

from biaswatch.config.settings import biaswatch_home
from biaswatch.errors import ConfigError, StorageError

__all__ = ["DATABASE_VARIABLE", "database_url", "migrate", "open_engine"]

DATABASE_VARIABLE = "BIASWATCH_DATABASE_URL"
_MIGRATIONS = Path(__file__).parent / "migrations"
_MIGRATING = threading.Lock()
_LOCK_KEY = 0x62696173  # "bias": the advisory lock biaswatch's migrations take


def database_url() -> str:
    """The store's SQLAlchemy URL: ``BIASWATCH_DATABASE_URL``, or SQLite under the home."""
    url = os.environ.get(DATABASE_VARIABLE)
    if url:
        return url
    home = Path(biaswatch_home())
    home.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{home / 'biaswatch.db'}"


def _sqlite_pragmas(connection: Any, _record: Any) -> None:
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def open_engine(url: str | None = None) -> Engine:
    """An engine for ``url`` (default: :func:`database_url`), migrated to the current schema."""
    url = url or database_url()
    try:
        engine = create_engine(url, pool_pre_ping=True)
    except (SQLAlchemyError, ImportError, ValueError) as exc:
        raise ConfigError(
            f"{DATABASE_VARIABLE} = {url!r}: {exc}", field=DATABASE_VARIABLE, value=url
        ) from exc
    if engine.dialect.name == "sqlite":
        database = engine.url.database
        if database and database != ":memory:" and not database.startswith("file:"):
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        event.listen(engine, "connect", _sqlite_pragmas)
    try:
        migrate(engine)
    except BaseException:
        engine.dispose()  # a store that cannot be opened keeps no connection
        raise
    return engine


def head_revision() -> str:
    """The newest migration's revision (files are named ``NNNN_what.py``, revision NNNN)."""
    return max(path.name.split("_", 1)[0] for path in (_MIGRATIONS / "versions").glob("[0-9]*.py"))


def _recorded_revisions(engine: Engine) -> list[str]:
    """The schema revisions the database records (none for a new one)."""
    with engine.connect() as connection:
        if not inspect(connection).has_table("alembic_version"):
            return []
        return list(connection.execute(text("SELECT version_num FROM alembic_version")).scalars())


def _refuse_newer(url: Any, recorded: list[str], head: str) -> None:
    """A :class:`StorageError` when a newer biaswatch has migrated the store past ``head``.

    Alembic would fail with a traceback on a revision it has no file for; a person can act on
    the versions instead.
    """
    newer = sorted(revision for revision in recorded if revision > head)
    if newer:
        raise StorageError(
            f"the metadata store at {url!r} has schema revision {newer[-1]}, written by a newer"
            f" biaswatch; this one knows revisions up to {head}. Upgrade biaswatch"
            " (pip install -U biaswatch), or point BIASWATCH_DATABASE_URL (or BIASWATCH_HOME)"
            " at another store"
        )


def migrate(engine: Engine) -> None:
    """Apply every migration the database has not had yet.

    Safe when several schedulers start at once: alembic's context is process-global, so
    migrations in one process take a lock, and on PostgreSQL an advisory lock keeps two
    processes from migrating together.
    """
    try:
        head = head_revision()
        recorded = _recorded_revisions(engine)
        if recorded == [head]:
            return
        _refuse_newer(engine.url, recorded, head)
        from alembic import command  # only when the schema must change: alembic is heavy
        from alembic.config import Config

        config = Config()
        config.set_main_option("script_location", str(_MIGRATIONS))
        with _MIGRATING, engine.begin() as connection:
            if connection.dialect.name == "postgresql":
                connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _LOCK_KEY})
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
    except SQLAlchemyError as exc:
        raise StorageError(f"cannot open the metadata store at {engine.url!r}: {exc}") from exc
