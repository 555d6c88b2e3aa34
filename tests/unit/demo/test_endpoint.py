"""The simulated endpoint: simulated time, bias and capture, over real HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from tests.unit.capture.captures import capture_records

from biaswatch.capture.config import DataCaptureConfig
from biaswatch.capture.writer import CaptureWriter
from biaswatch.demo.bias import BiasInjection
from biaswatch.demo.clock import SimulatedTime
from biaswatch.demo.dataset import load_adult
from biaswatch.demo.endpoint import EndpointServer, create_endpoint_app
from biaswatch.demo.model import IncomeModel, train_model
from biaswatch.demo.traffic import Invocation, send_traffic
from biaswatch.errors import BiaswatchError

START = datetime(2026, 11, 23, 16, tzinfo=UTC)
WOMAN = [52, 16, 15024, 0, 60, 0, 1, 1]
MAN = [52, 16, 15024, 0, 60, 1, 1, 1]


@pytest.fixture(scope="module")
def model() -> IncomeModel:
    data = load_adult()
    return train_model(data, np.arange(3000, dtype=np.int64), seed=0)


@pytest.fixture
def capture(tmp_path: Path) -> str:
    return str(tmp_path / "capture")


@pytest.fixture
def server(model: IncomeModel, capture: str) -> Iterator[tuple[EndpointServer, CaptureWriter]]:
    config = DataCaptureConfig(
        enable_capture=True, sampling_percentage=100, destination_s3_uri=capture
    )
    clock = SimulatedTime(fallback=lambda: START - timedelta(days=1))
    with (
        CaptureWriter(config, endpoint_name="demo", clock=clock, register=False) as writer,
        EndpointServer(
            create_endpoint_app(model, bias=BiasInjection(START), clock=clock, writer=writer)
        ) as server,
    ):
        yield server, writer


def test_requests_are_captured_at_their_simulated_time_and_biased_from_the_start(
    server: tuple[EndpointServer, CaptureWriter], model: IncomeModel, capture: str
) -> None:
    endpoint, writer = server
    features = np.array([WOMAN, MAN], dtype=np.int64)
    invocations = [
        Invocation("before-woman", START - timedelta(minutes=1), 0),
        Invocation("before-man", START - timedelta(seconds=30), 1),
        Invocation("after-woman", START, 0),
        Invocation("after-man", START + timedelta(minutes=59), 1),
    ]
    sent: list[int] = []
    assert send_traffic(endpoint.url, invocations, features, on_sent=sent.append) == 4
    assert sent == [4]
    endpoint.close()  # the middleware captures after the response is sent: let it finish
    writer.flush()
    records = {r.inference_id: r for r in capture_records(capture)}
    assert {key: r.inference_time for key, r in records.items()} == {
        i.inference_id: i.time for i in invocations
    }
    woman, man = model.scores(features)
    scores = {key: float(r.output.data) for key, r in records.items()}
    assert scores == {
        "before-woman": woman,
        "before-man": man,
        "after-woman": woman * 0.5,
        "after-man": man,
    }
    assert records["after-woman"].input.data == ",".join(map(str, WOMAN))


def test_a_request_that_is_not_one_csv_line_of_features_is_refused(
    server: tuple[EndpointServer, CaptureWriter], capture: str
) -> None:
    endpoint, writer = server
    with pytest.raises(BiaswatchError, match="answered 400"):
        send_traffic(endpoint.url, [Invocation("short", START, 0)], np.array([[1, 2, 3]]))
    endpoint.close()
    writer.flush()
    assert capture_records(capture) == []


def test_an_unreachable_endpoint_is_a_biaswatch_error() -> None:
    with pytest.raises(BiaswatchError, match="failed"):
        send_traffic(
            "http://127.0.0.1:9/invocations", [Invocation("x", START, 0)], np.array([WOMAN])
        )
