"""Hour partitions: the ``yyyy/mm/dd/hh`` folders that capture and ground truth are written in."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from biaswatch.errors import ConfigError
from biaswatch.storage.files import FileStamp, list_file_stamps, list_files
from biaswatch.storage.location import join

__all__ = [
    "HourFile",
    "hour_folder",
    "hours_between",
    "list_hour_files",
    "list_hour_stamps",
    "start_of_hour",
]

HOUR = timedelta(hours=1)


def start_of_hour(moment: datetime) -> datetime:
    """The UTC hour that ``moment`` falls in.

    Examples
    --------
    >>> start_of_hour(datetime(2023, 1, 19, 6, 4, 56, tzinfo=UTC)).isoformat()
    '2023-01-19T06:00:00+00:00'
    """
    if moment.tzinfo is None:
        raise ConfigError(
            f"{moment!r} has no time zone; biaswatch times are aware UTC datetimes",
            field="time",
            value=moment,
        )
    return moment.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def hour_folder(hour: datetime) -> str:
    """The relative folder of an hour: ``yyyy/mm/dd/hh`` (UTC).

    Examples
    --------
    >>> hour_folder(datetime(2023, 1, 19, 5, tzinfo=UTC))
    '2023/01/19/05'
    """
    return start_of_hour(hour).strftime("%Y/%m/%d/%H")


def hours_between(first: datetime, last: datetime) -> list[datetime]:
    """Every hour from the hour of ``first`` to the hour of ``last``, both included."""
    hour, end = start_of_hour(first), start_of_hour(last)
    hours = []
    while hour <= end:
        hours.append(hour)
        hour += HOUR
    return hours


class HourFile(tuple[datetime, str]):
    """A file found in an hour folder: ``(hour, uri)``."""

    __slots__ = ()

    @property
    def hour(self) -> datetime:
        """The hour of the folder the file is in."""
        return self[0]

    @property
    def uri(self) -> str:
        """The file's URI."""
        return self[1]


def list_hour_files(root: str, first: datetime, last: datetime) -> list[HourFile]:
    """The files in the hour folders of ``root`` from ``first``'s hour to ``last``'s, inclusive.

    Hours in order, files in name order within an hour (names start with the minute and second
    they were written, so this is write order for capture files).
    """
    return [
        HourFile((hour, uri))
        for hour in hours_between(first, last)
        for uri in list_files(join(root, hour_folder(hour)))
    ]


def list_hour_stamps(root: str, first: datetime, last: datetime) -> list[FileStamp]:
    """The stamps of the files :func:`list_hour_files` finds, named relative to ``root``."""
    stamps = []
    for hour in hours_between(first, last):
        folder = hour_folder(hour)
        for uri, size, version in list_file_stamps(join(root, folder)):
            stamps.append(FileStamp(f"{folder}/{uri.rsplit('/', 1)[-1]}", size, version))
    return stamps
