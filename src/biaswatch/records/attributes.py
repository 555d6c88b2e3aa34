"""Where to find features, predictions and scores in a payload: an index, or a JMESPath."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import jmespath
from jmespath.exceptions import JMESPathError

from biaswatch.errors import ConfigError

__all__ = ["Attribute", "excluded_positions"]


@dataclass(frozen=True, slots=True)
class Attribute:
    """A column index (``"0"``, ``1``) or a JMESPath expression (``predictions[*].score``)."""

    text: str
    index: int | None
    expression: Any

    @classmethod
    def parse(cls, value: str | int, *, field: str) -> Attribute:
        """Parse an attribute, raising :class:`ConfigError` naming ``field`` when it is invalid.

        Examples
        --------
        >>> Attribute.parse("0", field="probability_attribute").index
        0
        >>> Attribute.parse("score", field="probability_attribute").search({"score": 0.9})
        0.9
        """
        text = str(value).strip()
        if text.lstrip("-").isdigit():
            return cls(text, int(text), None)
        try:
            return cls(text, None, jmespath.compile(text))
        except JMESPathError as exc:
            raise ConfigError(
                f"{field} = {text!r} is neither a column index nor a JMESPath expression: {exc}",
                field=field,
                value=value,
            ) from exc

    def search(self, document: Any) -> Any:
        """The attribute's value in a parsed JSON document (an index applies to a list)."""
        if self.index is not None:
            if isinstance(document, list) and -len(document) <= self.index < len(document):
                return document[self.index]
            return None
        return self.expression.search(document)

    def pick(self, fields: list[str]) -> str | None:
        """The attribute's field in a CSV row (only an index applies)."""
        if self.index is None or not -len(fields) <= self.index < len(fields):
            return None
        return fields[self.index]


def excluded_positions(
    exclude: str | None, *, names: list[str] | None, width: int
) -> frozenset[int]:
    """Feature positions named by ``exclude_features_attribute`` (indices or feature names).

    Examples
    --------
    >>> sorted(excluded_positions("0, Age", names=["Id", "Age", "Sex"], width=3))
    [0, 1]
    """
    if not exclude:
        return frozenset()
    positions = set()
    for item in (part.strip() for part in exclude.split(",")):
        if not item:
            continue
        if item.isdigit():
            position = int(item)
        elif names is not None and item in names:
            position = names.index(item)
        else:
            raise ConfigError(
                f"exclude_features_attribute names {item!r}, which is neither a feature index"
                " nor a feature name",
                field="exclude_features_attribute",
                value=exclude,
            )
        if not 0 <= position < width:
            raise ConfigError(
                f"exclude_features_attribute: index {position} is outside the {width} features",
                field="exclude_features_attribute",
                value=exclude,
            )
        positions.add(position)
    return frozenset(positions)
