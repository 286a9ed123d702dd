"""Training configuration: model recipes in YAML, merged with user files and CLI options.

Resolution order (later wins): the packaged recipe of the model
(``seqnet/configs/<model>.yaml``, mirrored in the repository's ``configs/``), a user
``--config`` file, then command-line options.  The resolved dict is validated once here
so the training code can trust it, and is written to the run directory as
``config.yaml``.
"""

from __future__ import annotations

import copy
from importlib import resources
from pathlib import Path

import yaml

from seqnet.errors import ConfigError

#: Keys a config may hold, per section (``model_args`` is free-form: the model checks it).
SCHEMA: dict[str, set[str] | None] = {
    "model": None,
    "model_args": None,
    "train": {"epochs", "batch_size", "lr", "weight_decay", "patience", "monitor", "rc_augment"},
    "data": {"alphabet", "length", "max_length", "unknown", "valid_fraction", "test_fraction"},
    "seed": None,
    "device": None,
}

DEFAULT_MODEL = "deepbind"


def packaged_recipe(model: str) -> dict:
    """Return the packaged recipe ``seqnet/configs/<model>.yaml`` as a dict.

    Raises
    ------
    ConfigError
        When no recipe ships for ``model``.
    """
    from seqnet.models import MODELS

    if model not in MODELS:
        raise ConfigError(f"unknown model {model!r}; expected one of: {', '.join(sorted(MODELS))}")
    res = resources.files("seqnet") / "configs" / f"{model}.yaml"
    if not res.is_file():
        raise ConfigError(f"no packaged recipe for model {model!r}")
    return yaml.safe_load(res.read_text())


def read_config_file(path: str | Path) -> dict:
    """Read a user YAML config, checking its keys against :data:`SCHEMA`.

    Raises
    ------
    ConfigError
        For a missing or unparsable file, or an unknown key.
    """
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"{path}: no such config file")
    try:
        cfg = yaml.safe_load(path.read_text())
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}: " if mark is not None else ""
        raise ConfigError(f"{path}: {where}not valid YAML") from None
    if cfg is None:
        return {}
    if not isinstance(cfg, dict):
        raise ConfigError(f"{path}: expected a mapping of config sections at the top level")
    check_keys(cfg, str(path))
    return cfg


def check_keys(cfg: dict, source: str) -> None:
    """Raise ConfigError naming the first key that :data:`SCHEMA` does not know."""
    for key, value in cfg.items():
        if key not in SCHEMA:
            raise ConfigError(f"{source}: unknown config key {key!r}; expected one of {', '.join(SCHEMA)}")
        allowed = SCHEMA[key]
        if allowed is not None:
            if not isinstance(value, dict):
                raise ConfigError(f"{source}: section {key!r} must be a mapping")
            for sub in value:
                if sub not in allowed:
                    raise ConfigError(
                        f"{source}: unknown config key '{key}.{sub}'; expected one of {', '.join(sorted(allowed))}"
                    )


def merge(base: dict, override: dict) -> dict:
    """Recursively merge ``override`` into a copy of ``base``; None values in override are ignored."""
    out = copy.deepcopy(base)
    for key, value in override.items():
        if value is None:
            continue
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def resolve(model: str | None = None, config_file: str | Path | None = None, overrides: dict | None = None) -> dict:
    """Resolve the training config: packaged recipe < ``config_file`` < ``overrides``.

    Parameters
    ----------
    model : str or None
        Model name from the CLI; None takes the config file's ``model`` or the default.
    config_file : path or None
        A user YAML file.
    overrides : dict or None
        Nested dict of CLI options (None values mean "not given").

    Returns
    -------
    dict
        The validated config.
    """
    user = read_config_file(config_file) if config_file is not None else {}
    name = model or user.get("model") or DEFAULT_MODEL
    cfg = merge(packaged_recipe(name), user)
    cfg["model"] = name
    if overrides:
        cfg = merge(cfg, overrides)
    validate(cfg)
    return cfg


def _need(cond: bool, msg: str) -> None:
    if not cond:
        raise ConfigError(msg)


def _is_int(v) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _is_num(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def validate(cfg: dict) -> None:
    """Check value ranges; raise ConfigError naming the option and the expected range."""
    check_keys(cfg, "config")
    t, d = cfg["train"], cfg["data"]
    _need(_is_int(t["epochs"]) and t["epochs"] >= 1, f"epochs must be an integer >= 1, got {t['epochs']!r}")
    _need(_is_int(t["batch_size"]) and t["batch_size"] >= 1, f"batch size must be an integer >= 1, got {t['batch_size']!r}")
    _need(_is_num(t["lr"]) and t["lr"] > 0, f"learning rate must be > 0, got {t['lr']!r}")
    _need(_is_num(t["weight_decay"]) and t["weight_decay"] >= 0, f"weight decay must be >= 0, got {t['weight_decay']!r}")
    _need(_is_int(t["patience"]) and t["patience"] >= 0, f"patience must be an integer >= 0, got {t['patience']!r}")
    _need(t["monitor"] in ("auroc", "loss"), f"monitor must be 'auroc' or 'loss', got {t['monitor']!r}")
    _need(isinstance(t["rc_augment"], bool), f"rc_augment must be true or false, got {t['rc_augment']!r}")
    _need(d["alphabet"] in ("dna", "rna", "protein"), f"alphabet must be dna, rna or protein, got {d['alphabet']!r}")
    _need(d["length"] is None or (_is_int(d["length"]) and d["length"] >= 1), f"length must be an integer >= 1, got {d['length']!r}")
    _need(_is_int(d["max_length"]) and d["max_length"] >= 1, f"max_length must be an integer >= 1, got {d['max_length']!r}")
    _need(d["unknown"] in ("zeros", "uniform"), f"unknown must be 'zeros' or 'uniform', got {d['unknown']!r}")
    for key in ("valid_fraction", "test_fraction"):
        v = d[key]
        _need(_is_num(v) and 0 <= v < 1, f"{key.replace('_', ' ')} must be in [0, 1), got {v!r}")
    _need(d["valid_fraction"] + d["test_fraction"] < 1, "valid fraction + test fraction must be < 1")
    _need(_is_int(cfg["seed"]) and cfg["seed"] >= 0, f"seed must be an integer >= 0, got {cfg['seed']!r}")
    _need(isinstance(cfg["device"], str), f"device must be a string, got {cfg['device']!r}")
    _need(isinstance(cfg.get("model_args", {}), dict), "model_args must be a mapping")


def dump(cfg: dict) -> str:
    """Serialise a resolved config as YAML (keys in their natural order)."""
    return yaml.safe_dump(cfg, sort_keys=False)
