"""Calibrate a scenario from real history: ``batchsim fit HISTORY.json``.

:func:`load_history` reads DescribeJobs records and EventBridge job events,
:func:`fit_history` estimates each job definition's runtime distribution, start delays, failure
and retry rates, and :func:`fragment_yaml` writes them as a scenario fragment to paste.
"""

from batchsim.errors import HistoryError
from batchsim.fit.estimate import DefinitionFit, Delay, RuntimeFit, fit_history
from batchsim.fit.fragment import fragment_yaml
from batchsim.fit.history import JobHistory, load_history

__all__ = [
    "Delay",
    "DefinitionFit",
    "HistoryError",
    "JobHistory",
    "RuntimeFit",
    "fit_history",
    "fragment_yaml",
    "load_history",
]
