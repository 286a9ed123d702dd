"""The recipe files shipped with seqnet: per-kind defaults and one recipe per model.

``configs/defaults/<kind>.yaml`` holds the training and data settings every model of an
input kind starts from; ``configs/<model>.yaml`` (sequence models) or
``configs/<kind>_<model>.yaml`` (time-series, table and image models) holds only what one
model changes: its ``train`` / ``data`` values that differ, and its ``model_args`` that
differ from the architecture's own defaults (the config dataclasses in
:mod:`seqnet.models`).  The installed package reads the repository's ``configs/``
directory itself (``seqnet/configs`` is a link to it).

A leaf module: it reads files and imports nothing else from seqnet but its errors, so
both :mod:`seqnet.config` and :mod:`seqnet.models` can use it.
"""

from __future__ import annotations

import copy
import functools
from importlib import resources

import yaml

from seqnet.errors import ConfigError


def recipe_name(model: str, kind: str = "sequence") -> str:
    """File name of a packaged recipe: ``<model>.yaml``, or ``<kind>_<model>.yaml`` for array kinds."""
    return f"{model}.yaml" if kind == "sequence" else f"{kind}_{model}.yaml"


def recipe_dir():
    """The packaged ``configs`` directory (an :mod:`importlib.resources` traversable)."""
    return resources.files("seqnet") / "configs"


@functools.lru_cache(maxsize=None)
def _load(*parts: str) -> dict | None:
    """Parsed YAML of ``configs/<parts>``, None when there is no such file (read once)."""
    res = recipe_dir().joinpath(*parts)
    if not res.is_file():
        return None
    data = yaml.safe_load(res.read_text())
    return {} if data is None else data


def read_recipe(model: str, kind: str = "sequence") -> dict:
    """The recipe file of ``model`` for input ``kind``, as written (only what it changes).

    Raises
    ------
    ConfigError
        When no recipe ships for the model.
    """
    data = _load(recipe_name(model, kind))
    if data is None:
        raise ConfigError(f"no packaged recipe for model {model!r} ({recipe_name(model, kind)})")
    return copy.deepcopy(data)


def kind_defaults(kind: str = "sequence") -> dict:
    """The defaults every recipe of input ``kind`` starts from (``configs/defaults/<kind>.yaml``).

    Raises
    ------
    ConfigError
        When no defaults ship for the kind.
    """
    data = _load("defaults", f"{kind}.yaml")
    if data is None:
        raise ConfigError(f"no packaged defaults for input kind {kind!r} (defaults/{kind}.yaml)")
    return copy.deepcopy(data)
