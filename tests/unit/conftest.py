"""Fixtures the unit tests share."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from biaswatch.capture.registry import register_endpoint
from biaswatch.model_monitor import ModelBiasMonitor
from biaswatch.store import Store

T = datetime(2026, 11, 24, 10, tzinfo=UTC)


@pytest.fixture
def monitor(tmp_path: Path) -> ModelBiasMonitor:
    """A monitor with a store of its own, endpoint ``ep`` registered, its clock at ``T``."""
    register_endpoint("ep", str(tmp_path / "capture"))
    return ModelBiasMonitor(store=Store.open(f"sqlite:///{tmp_path / 's.db'}"), clock=lambda: T)
