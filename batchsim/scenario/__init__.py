"""The scenario format: schema, units, distributions and the YAML loader.

:func:`load_scenario` reads a file (with ``--set`` overrides), reports every problem at once
as a :class:`~batchsim.errors.ScenarioError`, and returns a validated :class:`Scenario`;
:func:`resolved_yaml` writes it back with every default filled in.
"""

from batchsim.scenario.loader import load_scenario, parse_scenario, resolved_yaml
from batchsim.scenario.schema import Scenario

__all__ = ["Scenario", "load_scenario", "parse_scenario", "resolved_yaml"]
