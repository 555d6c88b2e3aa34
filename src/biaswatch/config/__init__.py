"""Configuration models at the boundary: Clarify's analysis config, and (later) monitor jobs."""

from __future__ import annotations

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
