"""Process-wide settings read from the environment."""

from __future__ import annotations

import os

from biaswatch.errors import ConfigError

__all__ = [
    "BASE_URL_VARIABLE",
    "CLOUDWATCH_ENDPOINT_VARIABLE",
    "CLOUDWATCH_MODES",
    "CLOUDWATCH_VARIABLE",
    "DEFAULT_FT_SAMPLE",
    "DEFAULT_HOME",
    "DEFAULT_SPARK_FT_SAMPLE",
    "DEFAULT_SPARK_THRESHOLD",
    "ENGINES",
    "ENGINE_VARIABLE",
    "FT_SAMPLE_VARIABLE",
    "HOME_VARIABLE",
    "PROMETHEUS_TEXTFILE_VARIABLE",
    "SPARK_FT_SAMPLE_VARIABLE",
    "SPARK_THRESHOLD_VARIABLE",
    "base_url",
    "biaswatch_home",
    "cloudwatch_endpoint_url",
    "cloudwatch_mode",
    "engine_setting",
    "ft_sample",
    "prometheus_textfile",
    "spark_ft_sample",
    "spark_threshold",
]

HOME_VARIABLE = "BIASWATCH_HOME"
DEFAULT_HOME = "~/.biaswatch"


def biaswatch_home() -> str:
    """The folder biaswatch keeps its state in: ``$BIASWATCH_HOME``, else ``~/.biaswatch``.

    A local path has ``~`` expanded; a URL (``s3://…``) is returned as it is.
    """
    home = os.environ.get(HOME_VARIABLE) or DEFAULT_HOME
    return home if "://" in home else os.path.expanduser(home)


BASE_URL_VARIABLE = "BIASWATCH_BASE_URL"


def base_url() -> str | None:
    """Where people reach the dashboard (``$BIASWATCH_BASE_URL``), for links in notifications.

    None when unset; a value that is not an http(s) URL is a config error.
    """
    url = (os.environ.get(BASE_URL_VARIABLE) or "").strip().rstrip("/")
    if not url:
        return None
    if not url.startswith(("http://", "https://")):
        raise ConfigError(
            f"{BASE_URL_VARIABLE}={url!r} is not an http(s) URL (e.g. https://biaswatch.example.com)",
            field=BASE_URL_VARIABLE,
            value=url,
        )
    return url


CLOUDWATCH_VARIABLE = "BIASWATCH_CLOUDWATCH"
CLOUDWATCH_MODES = ("file", "send", "off")
CLOUDWATCH_ENDPOINT_VARIABLE = "BIASWATCH_CLOUDWATCH_ENDPOINT_URL"
PROMETHEUS_TEXTFILE_VARIABLE = "BIASWATCH_PROMETHEUS_TEXTFILE"


def cloudwatch_mode() -> str:
    """What happens to an execution's CloudWatch metric data: ``$BIASWATCH_CLOUDWATCH``.

    ``file`` (the default) writes the ``PutMetricData`` request next to the outputs, ``send``
    also sends it with botocore, ``off`` does neither.
    """
    mode = (os.environ.get(CLOUDWATCH_VARIABLE) or "file").strip().lower()
    if mode not in CLOUDWATCH_MODES:
        raise ConfigError(
            f"{CLOUDWATCH_VARIABLE}={os.environ[CLOUDWATCH_VARIABLE]!r} is not one of"
            f" {', '.join(CLOUDWATCH_MODES)}"
        )
    return mode


def cloudwatch_endpoint_url() -> str | None:
    """A CloudWatch-compatible server to send to instead of AWS's (``$…_ENDPOINT_URL``)."""
    return os.environ.get(CLOUDWATCH_ENDPOINT_VARIABLE) or None


def prometheus_textfile() -> str | None:
    """Where to write the Prometheus text file after each execution, if anywhere."""
    return os.environ.get(PROMETHEUS_TEXTFILE_VARIABLE) or None


ENGINE_VARIABLE = "BIASWATCH_ENGINE"
ENGINES = ("local", "spark", "auto")
SPARK_THRESHOLD_VARIABLE = "BIASWATCH_SPARK_THRESHOLD"
DEFAULT_SPARK_THRESHOLD = 5_000_000


def engine_setting() -> str:
    """The engine executions use unless their schedule names one: ``$BIASWATCH_ENGINE``."""
    engine = (os.environ.get(ENGINE_VARIABLE) or "local").strip().lower()
    if engine not in ENGINES:
        raise ConfigError(
            f"{ENGINE_VARIABLE}={os.environ[ENGINE_VARIABLE]!r} is not one of {', '.join(ENGINES)}"
        )
    return engine


def spark_threshold() -> int:
    """Records above which ``auto`` uses Spark: ``$BIASWATCH_SPARK_THRESHOLD``."""
    text = os.environ.get(SPARK_THRESHOLD_VARIABLE) or str(DEFAULT_SPARK_THRESHOLD)
    try:
        return int(text)
    except ValueError:
        raise ConfigError(
            f"{SPARK_THRESHOLD_VARIABLE}={text!r} is not a whole number of records"
        ) from None


FT_SAMPLE_VARIABLE = "BIASWATCH_FT_SAMPLE"
DEFAULT_FT_SAMPLE = 1_000_000
SPARK_FT_SAMPLE_VARIABLE = "BIASWATCH_SPARK_FT_SAMPLE"
DEFAULT_SPARK_FT_SAMPLE = 100_000


def ft_sample() -> int:
    """Rows FT runs on when DuckDB counts a window: ``$BIASWATCH_FT_SAMPLE`` (exact up to it)."""
    return _rows(FT_SAMPLE_VARIABLE, DEFAULT_FT_SAMPLE)


def spark_ft_sample() -> int:
    """Rows FT runs on with the Spark engine: ``$BIASWATCH_SPARK_FT_SAMPLE`` (exact up to it)."""
    return _rows(SPARK_FT_SAMPLE_VARIABLE, DEFAULT_SPARK_FT_SAMPLE)


def _rows(variable: str, default: int) -> int:
    text = os.environ.get(variable) or str(default)
    try:
        rows = int(text)
    except ValueError:
        rows = 0
    if rows < 1:
        raise ConfigError(f"{variable}={text!r} is not a positive whole number of rows")
    return rows
