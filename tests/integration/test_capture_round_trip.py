"""What the capture writer and the middlewares write, the window reader reads (memory and S3)."""

from __future__ import annotations

import random
import warnings
from datetime import timedelta

import pytest
from fastapi import FastAPI, Request, Response
from tests.capture_data import WINDOW, T

from biaswatch.capture import (
    GroundTruthRecord,
    TableLayout,
    read_endpoint_window,
    upload_ground_truth,
)
from biaswatch.capture.config import DataCaptureConfig
from biaswatch.capture.middleware import CaptureMiddleware
from biaswatch.capture.writer import CaptureWriter
from biaswatch.records import DecodingOptions

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message=".*install `httpx2` instead", category=Warning)
    from fastapi.testclient import TestClient

LAYOUT = TableLayout(label="y", headers=("a", "b", "y"))


@pytest.fixture(params=["memory", "s3"])
def root(request: pytest.FixtureRequest, s3_server: str) -> str:
    # s3_server is named so that the session's S3 server starts before the test's own processes
    # are counted (see conftest.no_leaked_processes).
    if request.param == "s3":
        return str(request.getfixturevalue("s3_bucket"))
    return f"memory://round-trip-{random.getrandbits(48):x}"


def _writer(root: str, **config: object) -> CaptureWriter:
    return CaptureWriter(
        DataCaptureConfig(
            enable_capture=True,
            sampling_percentage=100,
            destination_s3_uri=f"{root}/capture",
            **config,  # type: ignore[arg-type]
        ),
        endpoint_name="ep",
        clock=lambda: T - timedelta(minutes=30),
        register=False,
    )


def _read(root: str, **options: object) -> dict[str, list[object]]:
    data = read_endpoint_window(
        f"{root}/capture", f"{root}/truth", WINDOW, endpoint="ep",
        options=DecodingOptions(**options), layout=LAYOUT,  # type: ignore[arg-type]
    )  # fmt: skip
    assert data.diagnostics.malformed_records == 0
    return data.table.to_pydict()  # type: ignore[no-any-return]


def _truth(root: str, labels: dict[str, object]) -> None:
    upload_ground_truth(
        f"{root}/truth", [GroundTruthRecord.of(k, v) for k, v in labels.items()], collected_at=T
    )


def test_csv_single_and_multi_record(root: str) -> None:
    with _writer(root) as writer:
        for key, request, response in (("i1", b"1,2", b"0.9"), ("i2", b"3,4\n5,6", b"0.1\n0.8")):
            writer.capture(
                request_body=request,
                request_content_type="text/csv",
                response_body=response,
                response_content_type="text/csv",
                inference_id=key,
            )
    _truth(root, {"i1": 1, "i2": "0\n1"})
    assert _read(root) == {
        "a": [1, 3, 5],
        "b": [2, 4, 6],
        "y": [1, 0, 1],
        "predicted_label": [1, 0, 1],
    }


def test_json_lines(root: str) -> None:
    with _writer(root, json_content_types=["application/jsonlines"]) as writer:
        writer.capture(
            request_body=b'{"features":[1,2]}\n{"features":[3,4]}',
            request_content_type="application/jsonlines",
            response_body=b'{"predicted_label":1,"score":0.9}\n{"predicted_label":0,"score":0.3}',
            response_content_type="application/jsonlines",
            inference_id="j",
        )
    _truth(root, {"j": {"label": [0, 1]}})
    table = _read(
        root,
        features_attribute="features",
        inference_attribute="predicted_label",
        label_attribute="label",
    )
    assert table == {"a": [1, 3], "b": [2, 4], "y": [0, 1], "predicted_label": [1, 0]}


def test_json_and_unlisted_types_as_base64(root: str) -> None:
    # application/x-custom is in no content-type list: captured as BASE64, decoded on reading.
    with _writer(root) as writer:
        writer.capture(
            request_body=b'{"instances": [[7, 8]]}', request_content_type="application/json",
            response_body=b"0.99", response_content_type="application/x-custom", inference_id="k",
        )  # fmt: skip
    _truth(root, {"k": 1})
    with pytest.raises(AssertionError):  # an output of unknown format is malformed, and counted
        _read(root, features_attribute="instances")
    data = read_endpoint_window(
        f"{root}/capture", f"{root}/truth", WINDOW, endpoint="ep",
        options=DecodingOptions(features_attribute="instances"), layout=LAYOUT,
    )  # fmt: skip
    assert data.diagnostics.malformed_samples[0].reason.startswith("cannot tell the format")


def test_asgi_middleware(root: str) -> None:
    app = FastAPI()

    @app.post("/invocations")
    async def invocations(request: Request) -> Response:
        rows = (await request.body()).decode().splitlines()
        scores = "\n".join("0.9" if int(r.split(",")[0]) > 2 else "0.1" for r in rows)
        return Response(scores, media_type="text/csv")

    writer = _writer(root)
    client = TestClient(CaptureMiddleware(app, writer=writer))
    for key, body in (("r1", "1,2"), ("r2", "3,4\n1,1")):
        response = client.post(
            "/invocations", content=body, headers={
                "Content-Type": "text/csv", "X-Amzn-SageMaker-Inference-Id": key,
            },
        )  # fmt: skip
        assert response.status_code == 200
    writer.close()
    _truth(root, {"r1": 0, "r2": "1\n0"})
    assert _read(root) == {
        "a": [1, 3, 1],
        "b": [2, 4, 1],
        "y": [0, 1, 0],
        "predicted_label": [0, 1, 0],
    }
