"""``DataCaptureConfig``: what a serving app captures, with the SageMaker SDK's names and defaults.

The constructor is ``sagemaker.model_monitor.DataCaptureConfig``'s, so SDK code runs after
changing the import. The differences:

* ``destination_s3_uri`` may be any biaswatch URI (a local folder, ``file://``, ``s3://``,
  ``memory://``). When it is omitted the default is ``<BIASWATCH_HOME>/data-capture`` (the SDK's is
  ``s3://<default bucket>/model-monitor/data-capture``); ``BIASWATCH_HOME`` defaults to
  ``~/.biaswatch`` and is read when the config is built.
* ``kms_key_id`` is accepted and ignored: encrypting objects is the destination bucket's business
  (its default encryption). ``sagemaker_session`` is accepted and ignored, too.
* The settings are validated here, where SageMaker's service validates them at
  ``CreateEndpointConfig``: ``sampling_percentage`` is an integer in 0 to 100 and
  ``capture_options`` holds only ``REQUEST``/``RESPONSE`` (or the API's ``Input``/``Output``), in
  any case. They are kept in their canonical spelling, ``REQUEST`` and ``RESPONSE``.
* As in the SDK, an empty list means the default list.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from biaswatch.capture.endpoint import Encoding
from biaswatch.config.settings import biaswatch_home
from biaswatch.errors import ConfigError
from biaswatch.records import media_type
from biaswatch.storage import join

__all__ = ["DataCaptureConfig", "biaswatch_home"]

CAPTURE_FOLDER = "data-capture"

REQUEST = "REQUEST"
RESPONSE = "RESPONSE"
# The SDK's names and the API's CaptureMode values (the SDK maps REQUEST → Input).
_CAPTURE_OPTIONS = {"REQUEST": REQUEST, "RESPONSE": RESPONSE, "INPUT": REQUEST, "OUTPUT": RESPONSE}


def _strings(values: Sequence[str] | None, default: tuple[str, ...], name: str) -> tuple[str, ...]:
    if not values:
        return default
    if isinstance(values, str) or not all(isinstance(value, str) for value in values):
        raise ConfigError(
            f"{name} must be a list of strings, got {values!r}", field=name, value=values
        )
    return tuple(values)


def _capture_options(options: Sequence[str] | None) -> tuple[str, ...]:
    canonical: list[str] = []
    for option in _strings(options, (REQUEST, RESPONSE), "capture_options"):
        mode = _CAPTURE_OPTIONS.get(option.upper())
        if mode is None:
            raise ConfigError(
                f"capture_options: {option!r} is not one of REQUEST, RESPONSE (or Input, Output)",
                field="capture_options",
                value=option,
            )
        if mode not in canonical:
            canonical.append(mode)
    return tuple(canonical)


@dataclass(frozen=True, slots=True, init=False)
class DataCaptureConfig:
    """Which invocations of an endpoint are captured, what of them, and where to.

    Parameters
    ----------
    enable_capture : bool
        Whether invocations are captured at all.
    sampling_percentage : int, default 20
        The percentage of invocations captured, 0 to 100.
    destination_s3_uri : str, optional
        Where capture files are written (any biaswatch URI). Default
        ``<BIASWATCH_HOME>/data-capture``.
    kms_key_id : str, optional
        Accepted for compatibility and ignored.
    capture_options : list of str, optional
        ``REQUEST`` and/or ``RESPONSE`` (``Input``/``Output`` also accepted), in any case.
        Default both.
    csv_content_types : list of str, optional
        Content types captured as text with encoding ``CSV``. Default ``["text/csv"]``.
    json_content_types : list of str, optional
        Content types captured as text with encoding ``JSON``. Default ``["application/json"]``.
        List ``application/jsonlines`` here to capture JSON Lines as text.
    sagemaker_session : object, optional
        Accepted for compatibility and ignored.

    Raises
    ------
    ConfigError
        If a setting is invalid; ``field`` and ``value`` say which and what.

    Notes
    -----
    Unlike the rest of biaswatch, the parameters after ``enable_capture`` may be given by
    position, because the SDK allows it.

    Examples
    --------
    >>> config = DataCaptureConfig(enable_capture=True, sampling_percentage=100,
    ...                            destination_s3_uri="s3://bucket/capture")
    >>> config.capture_options, config.encoding_for("text/csv; charset=utf-8")
    (('REQUEST', 'RESPONSE'), <Encoding.CSV: 'CSV'>)
    >>> config.encoding_for("application/x-npy")
    <Encoding.BASE64: 'BASE64'>
    """

    enable_capture: bool
    sampling_percentage: int
    destination_s3_uri: str
    kms_key_id: str | None
    capture_options: tuple[str, ...]
    csv_content_types: tuple[str, ...]
    json_content_types: tuple[str, ...]
    _csv_media_types: frozenset[str] = field(repr=False, compare=False)
    _json_media_types: frozenset[str] = field(repr=False, compare=False)

    def __init__(
        self,
        enable_capture: bool,
        sampling_percentage: int = 20,
        destination_s3_uri: str | None = None,
        kms_key_id: str | None = None,
        capture_options: list[str] | None = None,
        csv_content_types: list[str] | None = None,
        json_content_types: list[str] | None = None,
        sagemaker_session: object = None,
    ) -> None:
        if not isinstance(enable_capture, bool):
            raise ConfigError(
                f"enable_capture must be True or False, got {enable_capture!r}",
                field="enable_capture",
                value=enable_capture,
            )
        if (
            isinstance(sampling_percentage, bool)
            or not isinstance(sampling_percentage, int)
            or not 0 <= sampling_percentage <= 100
        ):
            raise ConfigError(
                f"sampling_percentage must be an integer in 0..100, got {sampling_percentage!r}",
                field="sampling_percentage",
                value=sampling_percentage,
            )
        if destination_s3_uri is None:
            destination_s3_uri = join(biaswatch_home(), CAPTURE_FOLDER)
        elif not isinstance(destination_s3_uri, str) or not destination_s3_uri.strip():
            raise ConfigError(
                f"destination_s3_uri must be a non-empty URI, got {destination_s3_uri!r}",
                field="destination_s3_uri",
                value=destination_s3_uri,
            )
        # A frozen dataclass: its fields are set once, here.
        setattr_ = object.__setattr__
        setattr_(self, "enable_capture", enable_capture)
        setattr_(self, "sampling_percentage", sampling_percentage)
        setattr_(self, "destination_s3_uri", destination_s3_uri)
        setattr_(self, "kms_key_id", kms_key_id)
        setattr_(self, "capture_options", _capture_options(capture_options))
        csv_types = _strings(csv_content_types, ("text/csv",), "csv_content_types")
        json_types = _strings(json_content_types, ("application/json",), "json_content_types")
        setattr_(self, "csv_content_types", csv_types)
        setattr_(self, "json_content_types", json_types)
        setattr_(self, "_csv_media_types", frozenset(map(media_type, csv_types)))
        setattr_(self, "_json_media_types", frozenset(map(media_type, json_types)))

    @property
    def captures_request(self) -> bool:
        """Whether the request payload (``endpointInput.data``) is recorded."""
        return REQUEST in self.capture_options

    @property
    def captures_response(self) -> bool:
        """Whether the response payload (``endpointOutput.data``) is recorded."""
        return RESPONSE in self.capture_options

    def encoding_for(self, content_type: str) -> Encoding:
        """How a payload of ``content_type`` is captured.

        The media type is compared without its parameters (``; charset=utf-8``) and case.
        ``CSV`` if it is in ``csv_content_types``, ``JSON`` if in ``json_content_types``, else
        ``BASE64``, as SageMaker does for unlisted types.
        """
        media = media_type(content_type)
        if media in self._csv_media_types:
            return Encoding.CSV
        if media in self._json_media_types:
            return Encoding.JSON
        return Encoding.BASE64
