"""``batchsim import-aws``: an editable scenario from what ``aws batch describe-*`` printed.

:func:`import_aws` reads the JSON of ``describe-compute-environments``, ``describe-job-queues``,
``describe-job-definitions`` (and ``describe-scheduling-policies``), files or one folder, and
returns the scenario YAML: AWS fields verbatim, read-only fields dropped (listed in comments),
ARNs resolved to names, the latest ACTIVE revision of each job definition, and batchsim's
defaults for what AWS does not have, marked ``CHECK``.
"""

from __future__ import annotations

from collections.abc import Sequence

from batchsim.aws_import.build import Imported, build_import
from batchsim.aws_import.reader import input_files, read_described
from batchsim.aws_import.writer import scenario_text

__all__ = ["Imported", "import_aws"]


def import_aws(
    paths: Sequence[str], name: str = "imported", all_revisions: bool = False
) -> tuple[str, Imported]:
    """Return (the scenario YAML, what was imported) for the describe output in ``paths``.

    ``name`` names the scenario; ``all_revisions`` keeps every revision of a job definition
    (the older ones renamed ``<name>-r<revision>``). Raises
    :class:`~batchsim.errors.AwsInputError` for input that cannot be read or is not describe
    output, every problem at once.
    """
    sources = [str(path) for path in input_files(paths)]
    imported = build_import(read_described(paths), sources, all_revisions)
    return scenario_text(imported, name), imported
