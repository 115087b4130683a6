"""Settings (gan.settings): every config declares its help and allowed values in one way, readable without source."""

from __future__ import annotations

import compileall
import json
import math
import shutil
import subprocess
import sys
from dataclasses import dataclass, fields
from pathlib import Path

import pytest

from gan.config import Config, ConfigError, field_help
from gan.dirac import DiracConfig
from gan.settings import setting, setting_of, settings_help, validate_settings
from gan.toy import ToyConfig
from gan.toy import field_help as toy_field_help

ROOT = Path(__file__).resolve().parents[2]
CONFIGS = (Config, ToyConfig, DiracConfig)
# Fields with help but no choice or range, on purpose: a bool has nothing to range over, any folder name will do,
# and ToyConfig.validate() checks the drawn points where they matter (the custom dataset).
FREE = {"Config": {"data_dir", "download", "image_folder", "image_folder_b", "spectral_norm"}, "ToyConfig": {"points", "spectral_norm"},
        "DiracConfig": set()}

SOURCELESS = """
import inspect, json, sys
import numpy, torch  # before the patch: torch reads its own source as it loads
def no_source(*args, **kwargs):
    raise OSError("no source code: installed as bytecode only")
inspect.getsource = inspect.getsourcelines = inspect.findsource = no_source
import gan.config, gan.toy, gan.dirac
from gan.settings import settings_help
assert gan.config.__file__.endswith(".pyc") and gan.config.__file__.startswith(sys.argv[1]), gan.config.__file__
print(json.dumps({"Config": gan.config.field_help(), "ToyConfig": gan.toy.field_help(),
                  "DiracConfig": settings_help(gan.dirac.DiracConfig)}))
"""


def test_the_help_needs_no_source_code(tmp_path):
    """The package installed as .pyc only (and inspect unable to read source): every field still has its help."""
    package = tmp_path / "gan"
    shutil.copytree(ROOT / "gan", package, ignore=shutil.ignore_patterns("__pycache__"))
    assert compileall.compile_dir(package, legacy=True, quiet=1)  # gan/x.pyc beside gan/x.py, importable alone
    for source in package.rglob("*.py"):
        source.unlink()
    done = subprocess.run([sys.executable, "-c", SOURCELESS, str(tmp_path)], cwd=tmp_path, capture_output=True,
                          text=True, timeout=120, env={"PYTHONPATH": str(tmp_path), "OMP_NUM_THREADS": "1"})
    assert done.returncode == 0, done.stderr
    helps = json.loads(done.stdout)
    for cls in CONFIGS:
        assert list(helps[cls.__name__]) == [f.name for f in fields(cls)]
        assert all(helps[cls.__name__].values())
    assert helps["Config"] == field_help() and helps["ToyConfig"] == toy_field_help()


@pytest.mark.parametrize("cls", CONFIGS, ids=lambda cls: cls.__name__)
def test_every_field_declares_its_help_and_what_it_allows(cls):
    declared = {f.name: setting_of(f) for f in fields(cls)}
    assert None not in declared.values(), [name for name, s in declared.items() if s is None]
    assert all(s.help.strip() and s.help == " ".join(s.help.split()) for s in declared.values())
    assert {name for name, s in declared.items() if s.free} == FREE[cls.__name__]
    assert cls().validate() == cls()  # every default is allowed by its own declaration


@pytest.mark.parametrize("value, message", [
    (0.0, "lr must be in (0, 1] (got 0.0)"),
    (1.5, "lr must be in (0, 1] (got 1.5)"),
    (math.nan, "lr must be finite (got nan)"),
    (True, "lr must be a number (got True)"),
    ("fast", "lr must be a number (got 'fast')"),
])
def test_a_range_names_the_field_its_bounds_and_the_value(value, message):
    @dataclass
    class C:
        lr: float = setting(0.1, "step size", low=0, high=1, low_open=True)

    with pytest.raises(ConfigError) as caught:
        validate_settings(C(lr=value))
    assert str(caught.value) == message


def test_choices_integers_open_ends_and_none():
    @dataclass
    class C:
        kind: str = setting("a", "which", choices=("a", "b"))
        n: int | None = setting(1, "how many", low=0, high=math.inf, integer=True, high_open=True, optional=True)
        free: list = setting([], "anything")

    validate_settings(C(n=None))
    assert C().free is not C().free  # a mutable default is made fresh for each config
    for changes, message in [(dict(kind="x"), "kind must be one of a, b (got 'x')"),
                             (dict(n=2.0), "n must be an integer (got 2.0)"),
                             (dict(n=-1), "n must be in [0, ∞) (got -1)")]:
        with pytest.raises(ConfigError) as caught:
            validate_settings(C(**changes))
        assert str(caught.value) == message
    assert settings_help(C) == {"kind": "which", "n": "how many", "free": "anything"}


def test_nan_reads_as_out_of_range_where_a_config_asks():
    """The 2-D playground and the Dirac-GAN word a nan as any other value outside the range."""
    with pytest.raises(ConfigError, match=r"^lr must be in \[0.0001, 2\] \(got nan\)$"):
        DiracConfig(lr=math.nan).validate()
    with pytest.raises(ConfigError, match=r"^lr_g must be in \[1e-06, 1\] \(got inf\)$"):
        ToyConfig(lr_g=math.inf).validate()


def test_a_setting_takes_choices_or_a_whole_range():
    with pytest.raises(TypeError):
        setting(1, "half a range", low=0)
    with pytest.raises(TypeError):
        setting("a", "both", choices=("a",), low=0, high=1)
