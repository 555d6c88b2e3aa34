"""Which engine an execution counts with: ``local``, ``spark``, or ``auto``.

A schedule's definition may name its engine; otherwise ``BIASWATCH_ENGINE`` does (default
``local``). ``auto`` uses Spark when the window's capture holds more than
``BIASWATCH_SPARK_THRESHOLD`` records (default 5,000,000), estimated from the files' sizes
and the length of their first lines, without reading them.
"""

from __future__ import annotations

from biaswatch.capture.endpoint import capture_folder
from biaswatch.capture.window import Window
from biaswatch.config.monitor import EndpointInputDefinition, MonitoringJobDefinition
from biaswatch.config.settings import engine_setting, spark_threshold
from biaswatch.storage import list_hour_files, locate

__all__ = ["estimated_records", "resolve_engine"]

_PROBE = 1 << 16


def estimated_records(uris: list[str]) -> int:
    """About how many lines the files hold: total size over the first file's line length."""
    if not uris:
        return 0
    sizes = []
    for uri in uris:
        location = locate(uri)
        sizes.append(int(location.filesystem.size(location.path) or 0))
    first = locate(uris[0])
    with first.filesystem.open(first.path, "rb") as handle:
        head = handle.read(_PROBE)
    lines = max(1, head.count(b"\n"))
    return int(sum(sizes) / max(1.0, len(head) / lines))


def resolve_engine(definition: MonitoringJobDefinition, window: Window) -> str:
    """``"local"`` or ``"spark"`` for this execution."""
    engine = definition.engine or engine_setting()
    if engine != "auto":
        return engine
    source = definition.data_input
    if not isinstance(source, EndpointInputDefinition):
        return "local"
    hours = window.capture_hours()
    folder = capture_folder(source.capture_uri, source.endpoint_name, source.variant_name)
    uris = [f.uri for f in list_hour_files(folder, hours[0], hours[-1])]
    return "spark" if estimated_records(uris) > spark_threshold() else "local"
