"""The scenario-format reference names every key the schema accepts."""

from __future__ import annotations

import inspect
import re

from conftest import REPO
from pydantic import BaseModel

from batchsim.scenario import schema

REFERENCE = (REPO / "docs" / "scenario-format.md").read_text()


def test_every_schema_key_is_documented():
    models = [
        cls
        for _, cls in inspect.getmembers(schema, inspect.isclass)
        if issubclass(cls, BaseModel) and cls.__module__ == schema.__name__
    ]
    missing = {
        f"{model.__name__}.{field}"
        for model in models
        for field in model.model_fields
        if not re.search(rf"[`{{.,] ?{field}\b", REFERENCE)
    }
    assert not missing, f"docs/scenario-format.md does not mention: {sorted(missing)}"
