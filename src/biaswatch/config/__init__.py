"""Configuration models at the boundary: Clarify's analysis config, and (later) monitor jobs."""

from __future__ import annotations

from typing import TYPE_CHECKING

from biaswatch._lazy import lazy_exports

if TYPE_CHECKING:
    from biaswatch.config.analysis import (
        DATASET_TYPES,
        AnalysisConfig,
        ColumnRef,
        FacetConfig,
        MethodsConfig,
        StageMethods,
        Value,
        config_from_dict,
        parse_analysis_config,
    )

__all__ = [
    "DATASET_TYPES",
    "AnalysisConfig",
    "ColumnRef",
    "FacetConfig",
    "MethodsConfig",
    "StageMethods",
    "Value",
    "config_from_dict",
    "parse_analysis_config",
]

__getattr__, __dir__ = lazy_exports(__name__, __file__)
