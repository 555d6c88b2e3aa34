"""Tests for biaswatch.report.html: the self-contained report page."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser

import pytest

from biaswatch.analysis import AnalysisResult, analyze, read_dataset
from biaswatch.config import config_from_dict
from biaswatch.metrics import MetricCode, Stage
from biaswatch.report import Comparison, render_report

SCRIPT_VALUE = "<script>alert(1)</script>"
SVG_NAMESPACE = "http://www.w3.org/2000/svg"
VOID_ELEMENTS = {"meta", "br", "hr", "img", "input", "link", "col", "area", "base", "wbr"}
SVG_ELEMENT = re.compile(r"<svg\b.*?</svg>", re.DOTALL)


class TagBalance(HTMLParser):
    """Checks that every opened element is closed, in order, and records what was seen."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.open: list[str] = []
        self.seen: list[str] = []
        self.mismatches: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.seen.append(tag)
        if tag not in VOID_ELEMENTS:
            self.open.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.seen.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.open or self.open[-1] != tag:
            self.mismatches.append(f"</{tag}> while {self.open[-1:]} is open")
            return
        self.open.pop()


@pytest.fixture(scope="module")
def result(tmp_path_factory: pytest.TempPathFactory) -> AnalysisResult:
    """A two-entry facet: DCR is +Infinity for one entry and -Infinity for the other.

    Each entry's *d* side has a negative label but no negative prediction, so its conditional
    rejection ratio divides by zero; CDDPL and CDDL are undefined without a group variable.
    """
    config = config_from_dict(
        {
            "headers": ["f", "y", "p"],
            "label": "y",
            "label_values_or_threshold": [1],
            "facet": [{"name_or_index": "f"}],
            "predicted_label": "p",
            "methods": {
                "pre_training_bias": {"methods": ["CI", "DPL", "CDDL"]},
                "post_training_bias": {"methods": ["DPPL", "DI", "DCR", "CDDPL"]},
            },
        }
    )
    rows = [(SCRIPT_VALUE, 0, 1), (SCRIPT_VALUE, 1, 1), ("x", 0, 0), ("x", 1, 1), ("x", 1, 0)]
    rows.append(("x", 0, 1))
    path = tmp_path_factory.mktemp("report") / "dataset.csv"
    path.write_text("".join(f"{f},{y},{p}\n" for f, y, p in rows), encoding="utf-8")
    return analyze(read_dataset(path, config), config)


@pytest.fixture(scope="module")
def page(result: AnalysisResult) -> str:
    return render_report(result, title="Weekly <bias> check", subtitle="endpoint & window")


def svg_elements(page: str) -> list[ET.Element]:
    return [ET.fromstring(match) for match in SVG_ELEMENT.findall(page)]


def test_fixture_has_infinite_and_undefined_values(result: AnalysisResult) -> None:
    assert result.post_training is not None
    dcr = [entry.metric(MetricCode.DCR) for entry in result.post_training.facets["f"]]
    assert [m.value.value for m in dcr if m is not None] == [float("inf"), float("-inf")]
    cddpl = result.post_training.facets["f"][0].metric(MetricCode.CDDPL)
    assert cddpl is not None
    assert cddpl.value.error is not None


def test_page_is_an_html5_document_with_balanced_tags(page: str) -> None:
    assert page.startswith("<!DOCTYPE html>\n")
    assert '<meta charset="utf-8">' in page
    parser = TagBalance()
    parser.feed(page)
    parser.close()
    assert parser.mismatches == []
    assert parser.open == []
    assert parser.seen[:3] == ["html", "head", "meta"]


def test_every_svg_parses_as_xml_in_the_svg_namespace(page: str) -> None:
    elements = svg_elements(page)
    assert elements
    assert all(element.tag == f"{{{SVG_NAMESPACE}}}svg" for element in elements)


def test_page_refers_to_nothing_outside_itself(page: str) -> None:
    assert set(re.findall(r"https?://[^\s\"'<>]*", page)) == {SVG_NAMESPACE}
    for external in ("<script", "<link", "<img", "src=", "@import", "url("):
        assert external not in page


def test_one_chart_per_facet_entry(result: AnalysisResult, page: str) -> None:
    entries = sum(len(entries) for stage in result.stages for entries in stage.facets.values())
    assert entries == 4
    assert len(svg_elements(page)) == entries
    assert page.count('<article class="entry">') == entries


def test_stages_come_post_training_first(page: str) -> None:
    assert page.index("Post-training bias metrics") < page.index("Pre-training bias metrics")


def test_header_shows_title_subtitle_rows_and_label(page: str) -> None:
    assert "<h1>Weekly &lt;bias&gt; check</h1>" in page
    assert "endpoint &amp; window" in page
    assert "<dt>Rows analysed</dt><dd>6</dd>" in page
    assert "<dt>Label</dt><dd>y</dd>" in page
    assert "<dt>Label value or threshold</dt><dd>1</dd>" in page


def test_entry_headings_and_counts(page: str) -> None:
    assert "<h4>f = x</h4>" in page
    # d = "x": 4 rows, labels 0,1,1,0 and predictions 0,1,0,1; a = the two script rows.
    assert (
        "d (this facet value): 4 rows, 50.0 % positive labels, 50.0 % positive predictions; "
        "a (all other rows): 2 rows, 50.0 % positive labels, 100.0 % positive predictions"
    ) in page
    # Pre-training entries have no predictions to count.
    assert "d (this facet value): 4 rows, 50.0 % positive labels; a (all other rows)" in page


def test_infinite_values_read_as_infinity(page: str) -> None:
    assert '<td class="value">Infinity</td>' in page
    assert '<td class="value">-Infinity</td>' in page


def test_values_have_up_to_six_significant_digits(result: AnalysisResult, page: str) -> None:
    assert result.pre_training is not None
    ci = result.pre_training.facets["f"][0].metric(MetricCode.CI)
    assert ci is not None
    assert ci.value.value == pytest.approx(1 / 3)
    assert '<td class="value">0.333333</td>' in page


def test_undefined_metric_shows_its_error(result: AnalysisResult, page: str) -> None:
    assert result.post_training is not None
    cddpl = result.post_training.facets["f"][0].metric(MetricCode.CDDPL)
    assert cddpl is not None
    assert cddpl.value.error is not None
    assert '<td class="value undefined">undefined</td>' in page
    assert f'<td class="error">{cddpl.value.error}</td>' in page


def test_facet_values_are_escaped(page: str) -> None:
    assert SCRIPT_VALUE not in page
    assert "<h4>f = &lt;script&gt;alert(1)&lt;/script&gt;</h4>" in page


def test_each_defined_metric_has_a_bar_and_each_undefined_one_a_label(
    result: AnalysisResult, page: str
) -> None:
    entries = [
        entry for stage in result.stages for entries in stage.facets.values() for entry in entries
    ]
    for entry, svg in zip(entries, svg_elements(page), strict=True):
        bars = [rect.get("data-metric") for rect in svg.iter(f"{{{SVG_NAMESPACE}}}rect")]
        labels = [
            text.get("data-metric")
            for text in svg.iter(f"{{{SVG_NAMESPACE}}}text")
            if text.get("class") == "undefined"
        ]
        assert bars == [m.code.value for m in entry.metrics if m.value.defined]
        assert labels == [m.code.value for m in entry.metrics if not m.value.defined]


def test_rendering_is_deterministic(result: AnalysisResult) -> None:
    assert render_report(result) == render_report(result)


def test_defaults_and_no_subtitle(result: AnalysisResult) -> None:
    page = render_report(result)
    assert "<title>Bias analysis</title>" in page
    assert 'class="subtitle"' not in page


def test_empty_result_still_renders() -> None:
    page = render_report(AnalysisResult(rows=0, pre_training=None, post_training=None))
    assert "No bias metrics were computed." in page
    assert "<svg" not in page


@pytest.mark.parametrize("stage", [Stage.PRE_TRAINING, Stage.POST_TRAINING])
def test_stage_sections_are_anchored(page: str, stage: Stage) -> None:
    assert f'<section class="stage" id="{stage.value}">' in page


def test_a_comparison_shows_baselines_highlights_violations_and_details(
    result: AnalysisResult,
) -> None:
    stage = result.stages[0]
    facet, entries = next(iter(stage.facets.items()))
    first = entries[0].metrics[0].code.value
    key = (stage.stage.value, facet, 0, first)
    page = render_report(
        result,
        comparison=Comparison({key: 0.125}, frozenset({key})),
        details=[("Window", "[09:00, 10:00)")],
        malformed=[("s3://b/f.jsonl", 7, "not JSON")],
    )
    assert page.count('<tr class="violated">') == 1
    assert '<td class="value baseline">0.125</td>' in page
    assert page.count('class="baseline-mark"') == 1
    assert "<dt>Window</dt><dd>[09:00, 10:00)</dd>" in page
    assert "<dt>Violations</dt><dd>1</dd>" in page
    assert "<td>s3://b/f.jsonl</td><td>7</td><td>not JSON</td>" in page
    for element in svg_elements(page):
        assert element.tag.endswith("svg")
