"""Annotated field types shared by the schema: durations, rates and memory with units.

Each type parses the human form at validation time, so the model code only ever sees floats in
seconds, per-second rates or MiB.
"""

from __future__ import annotations

import types
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    PlainValidator,
    WithJsonSchema,
    WrapValidator,
    model_validator,
)

from batchsim.scenario.units import parse_duration, parse_memory_mib, parse_rate

_NUMBER_OR_STRING = {"anyOf": [{"type": "number"}, {"type": "string"}]}

Duration = Annotated[
    float,
    BeforeValidator(parse_duration),
    WithJsonSchema({**_NUMBER_OR_STRING, "description": "seconds, or '90s', '5m', '2h', '1d'"}),
]
Rate = Annotated[
    float,
    BeforeValidator(parse_rate),
    WithJsonSchema({**_NUMBER_OR_STRING, "description": "per second, or '30/h', '2/m'"}),
]
MemoryMiB = Annotated[
    float,
    BeforeValidator(parse_memory_mib),
    WithJsonSchema({**_NUMBER_OR_STRING, "description": "MiB, or '512MiB', '8GiB'"}),
]


class YamlBool:
    """A YAML true/false given where a number or text is expected (pydantic would read true as
    1); no field type accepts it, so the field's own error says ``got true``."""

    __slots__ = ("value",)

    def __init__(self, value: bool):
        self.value = value

    def __repr__(self) -> str:
        return "true" if self.value else "false"


_PLAIN = (int, float, str, type(None))
_PARSERS = (BeforeValidator, PlainValidator, WrapValidator)
_NO_BOOL_FIELDS: dict[type, frozenset[str]] = {}


def _plain(annotation: Any) -> bool:
    """Whether ``annotation`` is int, float, str, None, a Literal of those, or a union of them
    (``Annotated`` types parse their own input, so they are not plain)."""
    origin = get_origin(annotation)
    if origin is Union or origin is types.UnionType:
        return all(_plain(arg) for arg in get_args(annotation))
    if origin is Literal:
        return not any(isinstance(arg, bool) for arg in get_args(annotation))
    return annotation in _PLAIN


def no_bool_fields(model: type[BaseModel]) -> frozenset[str]:
    """The fields of ``model`` that must refuse true/false (cached per model)."""
    known = _NO_BOOL_FIELDS.get(model)
    if known is None:
        known = frozenset(
            name
            for name, field in model.model_fields.items()
            if _plain(field.annotation) and not any(isinstance(m, _PARSERS) for m in field.metadata)
        )
        _NO_BOOL_FIELDS[model] = known
    return known


class StrictModel(BaseModel):
    """Base of every scenario model: unknown keys are errors (they are usually typos), and a
    true/false given to a number or text field is refused rather than read as 1 or 0."""

    model_config = ConfigDict(
        extra="forbid", frozen=True, populate_by_name=True, validate_default=True
    )

    @model_validator(mode="before")
    @classmethod
    def _no_bools(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        fields = no_bool_fields(cls)
        if not any(isinstance(v, bool) and k in fields for k, v in data.items()):
            return data
        return {
            k: YamlBool(v) if isinstance(v, bool) and k in fields else v for k, v in data.items()
        }
