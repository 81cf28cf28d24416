"""``python -m batchsim`` runs the command-line interface."""

from batchsim.cli import main_entry

main_entry()
