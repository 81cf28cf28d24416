"""Annotated field types shared by the schema: durations, rates and memory with units.

Each type parses the human form at validation time, so the model code only ever sees floats in
seconds, per-second rates or MiB.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, BeforeValidator, ConfigDict, WithJsonSchema

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


class StrictModel(BaseModel):
    """Base of every scenario model: unknown keys are errors (they are usually typos)."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True, validate_default=True)
