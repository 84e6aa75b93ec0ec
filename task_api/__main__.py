"""`python -m task_api`: the same command line as `task-api`."""

from task_api.cli import run

run()
