"""The EC2 instance catalog: shapes, us-east-1 on-demand prices and Spot Advisor figures.

Use :func:`load_catalog` for the packaged data, :meth:`Catalog.resolve` to expand a compute
environment's ``instanceTypes`` and :meth:`Catalog.with_custom` to add a scenario's own types.
For Fargate compute environments, :func:`load_fargate_rates` gives the us-east-1 prices,
:func:`task_cost_usd` the cost of one task and :func:`combination_problem` checks a VCPU/MEMORY pair.
"""

from batchsim.catalog.catalog import (
    CATALOG_SOURCE,
    SPECIAL_VALUES,
    Catalog,
    UnknownInstanceType,
    load_catalog,
)
from batchsim.catalog.fargate import (
    FARGATE_CAPACITIES,
    FARGATE_MINIMUM_BILLED_S,
    FARGATE_SOURCE,
    FARGATE_VCPU_VALUES,
    FargateRates,
    billed_duration_s,
    combination_problem,
    load_fargate_rates,
    task_cost_usd,
    valid_memory_mib,
)
from batchsim.catalog.instance_types import INTERRUPTION_LABELS, InstanceType
from batchsim.catalog.table import format_table

__all__ = [
    "CATALOG_SOURCE",
    "FARGATE_CAPACITIES",
    "FARGATE_MINIMUM_BILLED_S",
    "FARGATE_SOURCE",
    "FARGATE_VCPU_VALUES",
    "INTERRUPTION_LABELS",
    "SPECIAL_VALUES",
    "Catalog",
    "FargateRates",
    "InstanceType",
    "UnknownInstanceType",
    "billed_duration_s",
    "combination_problem",
    "format_table",
    "load_catalog",
    "load_fargate_rates",
    "task_cost_usd",
    "valid_memory_mib",
]
