"""The bundled Adult example reproduces the baseline the SageMaker service itself printed."""

from __future__ import annotations

import pytest

from biaswatch.analysis import analysis_document, analyze, read_dataset
from biaswatch.config import parse_analysis_config
from biaswatch.examples import example_path

# From the saved cell outputs of AWS's bias-monitor notebooks (real service runs).
SERVICE_BASELINE = {
    "post_training_bias_metrics": {
        "AD": -0.15156641604010024,
        "CDDPL": 0.28176563733194276,
        "DI": 0.17798594847775176,
        "DPPL": 0.2199248120300752,
        "TE": 2.916666666666667,
    },
    "pre_training_bias_metrics": {"CDDL": 0.27459074287718793, "CI": 0.36936936936936937},
}


@pytest.mark.parametrize("section", sorted(SERVICE_BASELINE))
def test_bundled_example_matches_the_service_baseline(section: str) -> None:
    folder = example_path("adult")
    config = parse_analysis_config((folder / "analysis_config.json").read_bytes())
    document = analysis_document(analyze(read_dataset(folder / "validation.jsonl", config), config))
    entry = document[section]["facets"]["Sex"][0]
    assert entry["value_or_threshold"] == "0"
    values = {m["name"]: m["value"] for m in entry["metrics"]}
    for name, expected in SERVICE_BASELINE[section].items():
        assert values[name] == expected, name


def test_unknown_example() -> None:
    with pytest.raises(FileNotFoundError):
        example_path("nope")
