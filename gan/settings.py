"""One way to declare a config's settings: each dataclass field carries its help text and its allowed values.

    lr_g: float = setting(2e-4, "Adam learning rate of the generator.", low=0, high=1, low_open=True)

`validate_settings(config)` checks every field against its declaration, in field order, and `settings_help(cls)`
gives the help texts (the CLI's --help, the pages' tooltips). The declaration lives in the field's metadata, so
nothing here needs the source code: it works as well when the package is installed as bytecode only.
Pure: no app imports, so every config (the GAN run, the 2-D playground, the Dirac-GAN) can use it.
"""

from __future__ import annotations

import math
from dataclasses import Field, dataclass, field, fields
from typing import Any

_KEY = "setting"  # where a field's Setting lives in its metadata


class ConfigError(ValueError):
    """A hyperparameter outside its allowed range; the message names the field."""


@dataclass(frozen=True)
class Setting:
    """What one field allows: one of `choices`, or a number between `low` and `high`; or anything (free)."""

    help: str
    choices: tuple | None = None
    low: float | None = None
    high: float | None = None
    integer: bool = False
    low_open: bool = False
    high_open: bool = False
    optional: bool = False  # None is allowed too

    @property
    def free(self) -> bool:
        return self.choices is None and self.low is None

    def check(self, name: str, value: Any, *, finite_message: bool = True) -> None:
        """Raise ConfigError naming `name` and what it allows, unless `value` is allowed."""
        if value is None and self.optional:
            return
        if self.choices is not None and value not in self.choices:
            raise ConfigError(f"{name} must be one of {', '.join(self.choices)} (got {value!r})")
        if self.low is not None:
            self._check_number(name, value, finite_message)

    def _check_number(self, name: str, value: Any, finite_message: bool) -> None:
        kind = "an integer" if self.integer else "a number"
        is_number = isinstance(value, (int, float)) and not isinstance(value, bool)  # True is no learning rate
        if not is_number or (self.integer and not isinstance(value, int)):
            raise ConfigError(f"{name} must be {kind} (got {value!r})")
        if not math.isfinite(value) and finite_message:
            raise ConfigError(f"{name} must be finite (got {value!r})")
        too_low = value <= self.low if self.low_open else value < self.low
        too_high = value >= self.high if self.high_open else value > self.high
        if too_low or too_high or not math.isfinite(value):  # nan compares False with every bound
            raise ConfigError(f"{name} must be in {self.describe_range()} (got {value!r})")

    def describe_range(self) -> str:
        left, right = ("(" if self.low_open else "["), (")" if self.high_open else "]")
        assert self.low is not None and self.high is not None  # a range: setting() asks for both bounds
        return f"{left}{_fmt(self.low)}, {_fmt(self.high)}{right}"


def _fmt(x: float) -> str:
    return "∞" if x == math.inf else f"{x:g}"


def setting(default: Any, help: str, *, choices: tuple | None = None, low: float | None = None,
            high: float | None = None, integer: bool = False, low_open: bool = False, high_open: bool = False,
            optional: bool = False) -> Any:
    """A dataclass field with its help text and allowed values (give choices, or low and high, or neither: free)."""
    if (low is None) != (high is None) or (choices is not None and low is not None):
        raise TypeError("a setting takes choices, or both low and high, or neither")
    metadata = {_KEY: Setting(help, None if choices is None else tuple(choices), low, high, integer, low_open,
                              high_open, optional)}
    if isinstance(default, (list, dict, set)):  # one shared mutable default would leak between configs
        return field(default_factory=lambda: type(default)(default), metadata=metadata)
    return field(default=default, metadata=metadata)


def setting_of(f: Field) -> Setting | None:
    """The Setting declared on a dataclass field, None for a field declared without `setting()`."""
    return f.metadata.get(_KEY)


def validate_settings(config: Any, *, finite_message: bool = True) -> None:
    """Raise ConfigError for the first field (in field order) whose value its setting does not allow.

    finite_message=False reports nan and inf as out of range ("lr must be in [0.0001, 2] (got nan)"), the wording
    of the 2-D playground and the Dirac-GAN; the GAN run's config says "must be finite".
    """
    for f in fields(config):
        declared = setting_of(f)
        if declared is not None:
            declared.check(f.name, getattr(config, f.name), finite_message=finite_message)


def settings_help(cls: type) -> dict[str, str]:
    """{field name: help text} of every field declared with `setting()`, in field order."""
    return {f.name: declared.help for f in fields(cls) if (declared := setting_of(f)) is not None}


__all__ = ["ConfigError", "Setting", "setting", "setting_of", "settings_help", "validate_settings"]
