"""Registration commands (run from cron or as a loop)."""

COMMANDS: list = []
