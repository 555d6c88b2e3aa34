"""biaswatch: bias-drift monitoring for deployed ML models, compatible with SageMaker Clarify."""

from __future__ import annotations

from biaswatch.errors import BiaswatchError

__all__ = ["BiaswatchError", "__version__"]

__version__ = "0.1.0"
