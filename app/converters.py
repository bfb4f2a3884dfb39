"""Ids in URLs and query strings: whole numbers that fit the database's integer columns.

Anything larger cannot name a row; SQLite cannot even be asked about it (an overflow), so
such an id is "not found" (404) rather than an error.
"""

from werkzeug.routing import IntegerConverter

MAX_ID = 2**31 - 1  # INTEGER primary keys on PostgreSQL


class IdConverter(IntegerConverter):
    """`<int:...>` in every route: 1 to MAX_ID, else the rule does not match (404)."""

    def __init__(self, map, fixed_digits=0, min=1, max=MAX_ID, signed=False) -> None:  # noqa: A002
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


def id_arg(value: str) -> int:
    """For `request.args.get(name, type=id_arg)`: an id, or None when it cannot be one."""
    number = int(value)
    if not 0 < number <= MAX_ID:
        raise ValueError(f"{value!r} is not an id")
    return number
