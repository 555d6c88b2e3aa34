"""Jobs: the monitoring execution (and, next, the baselining job), run from their definitions."""

from __future__ import annotations

from biaswatch.jobs.execution import (
    ExecutionOutcome,
    execution_output_uri,
    run_execution,
    window_of,
)

__all__ = ["ExecutionOutcome", "execution_output_uri", "run_execution", "window_of"]
