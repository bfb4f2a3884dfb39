"""Form helpers shared by the edit screens."""

from collections.abc import Iterable
from typing import Any

from flask_wtf import FlaskForm
from wtforms.fields.choices import SelectChoice


def options(pairs: Iterable[tuple[Any, str]]) -> list[SelectChoice]:
    """(value, label) pairs as the choices WTForms takes (it no longer takes bare tuples)."""
    return [SelectChoice(value, label) for value, label in pairs]


def prefill(form: FlaskForm, obj: object, **overrides) -> None:
    """Fill an edit form from `obj`, with `overrides` taking precedence.

    WTForms' own `process(obj=..., **kwargs)` lets a matching attribute of `obj` win over the
    keyword, which would show (and save back) stored values such as UTC times unconverted.
    """
    values = {name: getattr(obj, name) for name in form._fields if hasattr(obj, name)}
    values.update(overrides)
    form.process(data=values)
