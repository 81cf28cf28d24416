"""The EC2 instance catalog: shapes, us-east-1 on-demand prices and Spot Advisor figures.

Use :func:`load_catalog` for the packaged data, :meth:`Catalog.resolve` to expand a compute
environment's ``instanceTypes`` and :meth:`Catalog.with_custom` to add a scenario's own types.
"""

from batchsim.catalog.catalog import (
    CATALOG_SOURCE,
    SPECIAL_VALUES,
    Catalog,
    UnknownInstanceType,
    load_catalog,
)
from batchsim.catalog.instance_types import INTERRUPTION_LABELS, InstanceType
from batchsim.catalog.table import format_table

__all__ = [
    "CATALOG_SOURCE",
    "INTERRUPTION_LABELS",
    "SPECIAL_VALUES",
    "Catalog",
    "InstanceType",
    "UnknownInstanceType",
    "format_table",
    "load_catalog",
]
