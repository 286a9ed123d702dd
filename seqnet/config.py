"""Training configuration: model recipes in YAML, merged with user files and CLI options.

Resolution order (later wins): the packaged recipe of the model
(``seqnet/configs/<model>.yaml`` for sequence models, ``seqnet/configs/<kind>_<model>.yaml``
for time-series, table and image models; mirrored in the repository's ``configs/``), a
user ``--config`` file, then command-line options.  The input kind comes from the input
options (``--timeseries``, ``--table``, ``--images``; sequences otherwise); a resolved
config of another kind than sequence records it as ``kind``.  The resolved dict is validated once here
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
    "kind": None,
    "model": None,
    "model_args": None,
    "train": {"epochs", "batch_size", "lr", "weight_decay", "patience", "monitor", "rc_augment", "reshuffle"},
    "data": {"alphabet", "length", "max_length", "unknown", "valid_fraction", "test_fraction",
             "standardize", "series", "time_points", "image_shape"},
    "seed": None,
    "device": None,
}

#: ``data`` keys of each input kind (beyond ``valid_fraction`` and ``test_fraction``).
DATA_KEYS: dict[str, set[str]] = {
    "sequence": {"alphabet", "length", "max_length", "unknown"},
    "timeseries": {"standardize", "series", "time_points"},
    "table": {"standardize"},
    "image": {"standardize", "image_shape"},
}

#: Values of ``data.standardize`` per kind: per gene / per series (time series, done on
#: each row, no statistics kept), per feature (tables) or per channel (images), with the
#: training split's mean and standard deviation kept in the checkpoint.
STANDARDIZE: dict[str, tuple[str, ...]] = {
    "timeseries": ("gene", "series", "none"),
    "table": ("feature", "none"),
    "image": ("channel", "none"),
}

MONITORS = ("auroc", "loss", "accuracy")

DEFAULT_MODEL = "deepbind"

#: The model each input kind trains when none is named.
DEFAULT_MODELS = {"sequence": DEFAULT_MODEL, "timeseries": "lstm", "table": "mlp", "image": "lenet"}


def recipe_name(model: str, kind: str = "sequence") -> str:
    """File name of a packaged recipe: ``<model>.yaml``, or ``<kind>_<model>.yaml`` for array kinds."""
    return f"{model}.yaml" if kind == "sequence" else f"{kind}_{model}.yaml"


def packaged_recipe(model: str, kind: str = "sequence") -> dict:
    """Return the packaged recipe of ``model`` for input ``kind`` as a dict.

    Raises
    ------
    ConfigError
        For an unknown model, or when no recipe ships for it.
    """
    from seqnet.models import registry, unknown_model_message

    if model not in registry(kind):
        raise ConfigError(unknown_model_message(model, kind))
    res = resources.files("seqnet") / "configs" / recipe_name(model, kind)
    if not res.is_file():
        raise ConfigError(f"no packaged recipe for model {model!r} ({recipe_name(model, kind)})")
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


def resolve(
    model: str | None = None,
    config_file: str | Path | None = None,
    overrides: dict | None = None,
    kind: str | None = None,
) -> dict:
    """Resolve the training config: packaged recipe < ``config_file`` < ``overrides``.

    Parameters
    ----------
    model : str or None
        Model name from the CLI; None takes the config file's ``model`` or the kind's
        default (:data:`DEFAULT_MODELS`).
    config_file : path or None
        A user YAML file.
    overrides : dict or None
        Nested dict of CLI options (None values mean "not given").
    kind : str or None
        Input kind from the CLI (``"sequence"``, ``"timeseries"``, ``"table"``,
        ``"image"``); None takes the config file's ``kind`` or ``"sequence"``.

    Returns
    -------
    dict
        The validated config.
    """
    from seqnet.models import KIND_NAMES

    user = read_config_file(config_file) if config_file is not None else {}
    user_kind = user.get("kind")
    if user_kind is not None:
        if not isinstance(user_kind, str) or user_kind not in DEFAULT_MODELS:
            raise ConfigError(f"{config_file}: kind must be one of {', '.join(DEFAULT_MODELS)}, got {user_kind!r}")
        if kind is not None and user_kind != kind:
            raise ConfigError(
                f"{config_file}: the config is for {KIND_NAMES[user_kind]} input (kind: {user_kind}) but the input is "
                f"{KIND_NAMES[kind]} data"
            )
    kind = kind or user_kind or "sequence"
    name = model or user.get("model") or DEFAULT_MODELS[kind]
    cfg = merge(packaged_recipe(name, kind), user)
    cfg["model"] = name
    if kind != "sequence":
        cfg["kind"] = kind
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
    from seqnet.models import KIND_NAMES

    check_keys(cfg, "config")
    kind = cfg.get("kind", "sequence")
    _need(kind in DATA_KEYS, f"kind must be one of {', '.join(DATA_KEYS)}, got {kind!r}")
    t, d = cfg["train"], cfg["data"]
    _need(_is_int(t["epochs"]) and t["epochs"] >= 1, f"epochs must be an integer >= 1, got {t['epochs']!r}")
    _need(_is_int(t["batch_size"]) and t["batch_size"] >= 1, f"batch size must be an integer >= 1, got {t['batch_size']!r}")
    _need(_is_num(t["lr"]) and t["lr"] > 0, f"learning rate must be > 0, got {t['lr']!r}")
    _need(_is_num(t["weight_decay"]) and t["weight_decay"] >= 0, f"weight decay must be >= 0, got {t['weight_decay']!r}")
    _need(_is_int(t["patience"]) and t["patience"] >= 0, f"patience must be an integer >= 0, got {t['patience']!r}")
    _need(t["monitor"] in MONITORS, f"monitor must be 'auroc', 'loss' or 'accuracy', got {t['monitor']!r}")
    foreign = sorted(set(d) - DATA_KEYS[kind] - {"valid_fraction", "test_fraction"})
    _need(not foreign, f"data.{foreign[0] if foreign else ''} does not apply to {KIND_NAMES[kind]} input")
    if kind == "sequence":
        _need(isinstance(t["rc_augment"], bool), f"rc_augment must be true or false, got {t['rc_augment']!r}")
        _need(isinstance(t.get("reshuffle", False), bool), f"reshuffle must be true or false, got {t.get('reshuffle')!r}")
        _need(d["alphabet"] in ("dna", "rna", "protein"), f"alphabet must be dna, rna or protein, got {d['alphabet']!r}")
        _need(d["length"] is None or (_is_int(d["length"]) and d["length"] >= 1), f"length must be an integer >= 1, got {d['length']!r}")
        _need(_is_int(d["max_length"]) and d["max_length"] >= 1, f"max_length must be an integer >= 1, got {d['max_length']!r}")
        _need(d["unknown"] in ("zeros", "uniform"), f"unknown must be 'zeros' or 'uniform', got {d['unknown']!r}")
    else:
        _need(not t.get("rc_augment"), f"rc_augment (reverse complement) applies to sequence input only, not {KIND_NAMES[kind]} input")
        _need(not t.get("reshuffle"), f"reshuffle (shuffled negatives) applies to sequence input only, not {KIND_NAMES[kind]} input")
        std = d.get("standardize")
        _need(std in STANDARDIZE[kind],
              f"standardize must be {' or '.join(map(repr, STANDARDIZE[kind]))} for {KIND_NAMES[kind]} input, got {std!r}")
    if kind == "timeseries":
        series = d.get("series")
        _need(series is None or (isinstance(series, list) and series and all(isinstance(v, str) and v for v in series)),
              f"series must be a list of series names, got {series!r}")
        tp = d.get("time_points")
        _need(tp is None or (_is_int(tp) and tp >= 2), f"time points must be an integer >= 2, got {tp!r}")
    if kind == "image":
        from seqnet.io.images import parse_shape

        parse_shape(d.get("image_shape"), source="--image-shape / data.image_shape")
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
