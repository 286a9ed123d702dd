"""Training configuration: model recipes in YAML, merged with user files and CLI options.

Resolution order (later wins): the input kind's defaults (``configs/defaults/<kind>.yaml``),
the model architecture's own defaults (its config dataclass in :mod:`seqnet.models`), the
model's recipe (``configs/<model>.yaml`` for sequence models, ``configs/<kind>_<model>.yaml``
for time-series, table and image models; see :mod:`seqnet.recipes`), a user ``--config``
file, then command-line options.  For data with several outputs (multi-label or
multi-class), a recipe's (and a ``--config`` file's) ``multi_output`` section, which holds
``train`` and ``model_args`` values, is merged right after the rest of that file, so a user
file and the options still win over it.  The input kind comes from the input options
(``--timeseries``, ``--table``, ``--images``; sequences otherwise); a resolved config of
another kind than sequence records it as ``kind``.  The resolved dict holds every setting,
``model_args`` included (so a checkpoint rebuilds the same model even if a default later
changes); it is validated once here so the training code can trust it, and is written to
the run directory as ``config.yaml``.

This module uses :mod:`seqnet.models` (the registry); the models never use it.
"""

from __future__ import annotations

import copy
from pathlib import Path

import yaml

from seqnet import recipes
from seqnet.errors import ConfigError
from seqnet.recipes import recipe_name

__all__ = [
    "DEFAULT_MODEL", "KIND_TRAIN_OPTIONS", "MONITORS", "SCHEMA", "check_keys", "check_train_value", "defaults",
    "dump", "merge", "packaged_recipe", "read_config_file", "recipe_name", "resolve", "validate",
]

#: Keys a config may hold, per section (``model_args`` is free-form: the model checks it).
SCHEMA: dict[str, set[str] | None] = {
    "kind": None,
    "model": None,
    "model_args": None,
    "train": {"epochs", "batch_size", "lr", "weight_decay", "patience", "monitor", "rc_augment", "reshuffle",
              # optimiser, schedule and penalty knobs (seqnet.training.settings.KNOB_DEFAULTS)
              "optimizer", "momentum", "nesterov", "schedule", "warmup_epochs", "lr_factor", "step_epochs",
              "plateau_patience", "min_lr", "clip_grad", "l1", "l1_scope"},
    "data": {"alphabet", "length", "max_length", "unknown", "valid_fraction", "test_fraction", "missing_labels",
             "standardize", "series", "time_points", "image_shape"},
    "seed": None,
    "device": None,
    "inputs": None,  # what a run was trained on (config.yaml records it; ignored when read back)
    "multi_output": None,  # train / model_args values for several outputs (checked by check_keys)
}

#: Sections a ``multi_output`` section may change.
MULTI_OUTPUT_SECTIONS = ("train", "model_args")

MONITORS = ("auroc", "loss", "accuracy")

DEFAULT_MODEL = "deepbind"

#: Training settings only some input kinds take, and what they are.
KIND_TRAIN_OPTIONS = {"rc_augment": "reverse complement", "reshuffle": "shuffled negatives"}


def packaged_recipe(model: str, kind: str = "sequence", outputs: int = 1) -> dict:
    """Return the packaged recipe of ``model`` for input ``kind``, complete, as a dict.

    The kind's defaults, then the architecture's ``model_args`` defaults, then what the
    recipe file changes, then, for ``outputs`` > 1, its ``multi_output`` section; top-level
    keys in :data:`SCHEMA` order (as a recipe writes them), without ``multi_output``.

    Raises
    ------
    ConfigError
        For an unknown model, or when no recipe ships for it.
    """
    from seqnet.models import registry, unknown_model_message

    models = registry(kind)
    if not isinstance(model, str):
        raise ConfigError(f"model must be a model name, got {model!r}")
    if model not in models:
        raise ConfigError(unknown_model_message(model, kind))
    recipe = recipes.read_recipe(model, kind)
    check_keys(recipe, recipe_name(model, kind))
    base = merge(recipes.kind_defaults(kind), {"model_args": models[model].hyper_parameters()})
    cfg = for_outputs(merge(base, recipe), outputs)
    return {key: cfg[key] for key in SCHEMA if key in cfg}


def for_outputs(cfg: dict, outputs: int) -> dict:
    """``cfg`` without its ``multi_output`` section, merged into it when ``outputs`` > 1."""
    cfg = dict(cfg)
    several = cfg.pop("multi_output", None)
    return merge(cfg, several) if several and outputs > 1 else cfg


def defaults(kind: str = "sequence", model: str | None = None) -> dict:
    """The defaults a run of input ``kind`` starts from, before any user file or option.

    Parameters
    ----------
    kind : str
        Input kind (``"sequence"``, ``"timeseries"``, ``"table"``, ``"image"``).
        Default is ``"sequence"``.
    model : str or None
        A model name: its complete packaged recipe (:func:`packaged_recipe`, what
        :func:`resolve` starts from).  None: only the kind's shared ``train`` / ``data``
        / ``seed`` / ``device`` defaults, which a recipe may change. Default is None.

    Returns
    -------
    dict
        A fresh dict (safe to modify).

    Raises
    ------
    ConfigError
        For an unknown kind or model.
    """
    from seqnet import kinds

    kinds.get(kind)  # ConfigError for an unknown kind
    if model is not None:
        return packaged_recipe(model, kind)
    return recipes.kind_defaults(kind)


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
        cfg = yaml.safe_load(path.read_bytes().decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: byte {exc.start + 1}: not UTF-8 text; expected a YAML file") from None
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
        if key == "multi_output" and value is not None:
            if not isinstance(value, dict) or set(value) - set(MULTI_OUTPUT_SECTIONS):
                raise ConfigError(f"{source}: section 'multi_output' holds {' and '.join(MULTI_OUTPUT_SECTIONS)} "
                                  "values for data with several outputs")
            check_keys(value, f"{source}: multi_output")
        if key == "model_args" and value is not None and not isinstance(value, dict):
            raise ConfigError(f"{source}: section 'model_args' must be a mapping of model arguments, "
                              f"got {type(value).__name__} {value!r}")
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
    outputs: int = 1,
) -> dict:
    """Resolve the training config: packaged recipe < ``config_file`` < ``overrides``.

    Parameters
    ----------
    model : str or None
        Model name from the CLI; None takes the config file's ``model`` or the kind's
        default (its input kind's ``default_model``).
    config_file : path or None
        A user YAML file.
    overrides : dict or None
        Nested dict of CLI options (None values mean "not given").
    kind : str or None
        Input kind from the CLI (``"sequence"``, ``"timeseries"``, ``"table"``,
        ``"image"``); None takes the config file's ``kind`` or ``"sequence"``.
    outputs : int
        Outputs of the data (tasks, or classes); above 1 the recipe's and the config
        file's ``multi_output`` sections apply. Default is 1.

    Returns
    -------
    dict
        The validated config.
    """
    from seqnet import kinds

    user = read_config_file(config_file) if config_file is not None else {}
    user_kind = user.get("kind")
    if user_kind is not None:
        if not isinstance(user_kind, str) or user_kind not in kinds.KINDS:
            raise ConfigError(f"{config_file}: kind must be one of {', '.join(kinds.KINDS)}, got {user_kind!r}")
        if kind is not None and user_kind != kind:
            raise ConfigError(
                f"{config_file}: the config is for {kinds.get(user_kind).label} input (kind: {user_kind}) but the "
                f"input is {kinds.get(kind).label} data"
            )
    user.pop("inputs", None)  # a run's config.yaml given back as a recipe: its inputs are not the new run's
    kind = kind or user_kind or "sequence"
    name = model or user.get("model") or kinds.get(kind).default_model
    user_several = user.pop("multi_output", None)
    cfg = merge(packaged_recipe(name, kind, outputs), user)
    if outputs > 1 and user_several:
        cfg = merge(cfg, user_several)
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
    from seqnet import kinds

    check_keys(cfg, "config")
    kind = cfg.get("kind", "sequence")
    _need(kind in kinds.KINDS, f"kind must be one of {', '.join(kinds.KINDS)}, got {kind!r}")
    kind = kinds.get(kind)
    _check_train(cfg["train"], kind)
    d = cfg["data"]
    foreign = sorted(set(d) - kind.data_keys - {"valid_fraction", "test_fraction", "missing_labels"})
    _need(not foreign, f"data.{foreign[0] if foreign else ''} does not apply to {kind.label} input")
    kind.check_data_config(d)
    for key in ("valid_fraction", "test_fraction"):
        v = d[key]
        _need(_is_num(v) and 0 <= v < 1, f"{key.replace('_', ' ')} must be in [0, 1), got {v!r}")
    _need(d["valid_fraction"] + d["test_fraction"] < 1, "valid fraction + test fraction must be < 1")
    _need(d.get("missing_labels", "error") in ("error", "mask"),
          f"missing_labels must be 'error' or 'mask', got {d.get('missing_labels')!r}")
    _need(_is_int(cfg["seed"]) and cfg["seed"] >= 0, f"seed must be an integer >= 0, got {cfg['seed']!r}")
    _need(isinstance(cfg["device"], str), f"device must be a string, got {cfg['device']!r}")
    _need(isinstance(cfg.get("model_args", {}), dict), "model_args must be a mapping")
    from seqnet.models import check_model_args

    # Checked against a nominal input (the data decides the real shape later).
    shape = kind.nominal_shape_args(length=d.get("length") or 1000, alphabet=d.get("alphabet", "dna"))
    check_model_args(cfg["model"], kind.name, cfg.get("model_args") or {}, shape)


def _one_of(choices) -> tuple:
    return (lambda v: v in choices), f"one of {', '.join(choices)}"


def _train_rules() -> dict:
    """``train`` key -> (test of a value on its own, what the message says is expected)."""
    from seqnet.training.settings import L1_SCOPES, OPTIMIZERS, SCHEDULES

    int_from = lambda lo: (lambda v: _is_int(v) and v >= lo)  # noqa: E731
    num_from = lambda lo: (lambda v: _is_num(v) and v >= lo)  # noqa: E731
    boolean = (lambda v: isinstance(v, bool)), "true or false"
    return {
        "epochs": (int_from(1), "an integer >= 1"), "batch_size": (int_from(1), "an integer >= 1"),
        "lr": ((lambda v: _is_num(v) and v > 0), "> 0"), "weight_decay": (num_from(0), ">= 0"),
        "patience": (int_from(0), "an integer >= 0"),
        "monitor": ((lambda v: v in MONITORS), "'auroc', 'loss' or 'accuracy'"),
        "rc_augment": boolean, "reshuffle": boolean,
        "optimizer": _one_of(OPTIMIZERS), "momentum": ((lambda v: _is_num(v) and 0 <= v < 1), "in [0, 1)"),
        "nesterov": boolean, "schedule": _one_of(SCHEDULES), "warmup_epochs": (int_from(0), "an integer >= 0"),
        "lr_factor": ((lambda v: _is_num(v) and 0 < v < 1), "in (0, 1)"),
        "step_epochs": (int_from(1), "an integer >= 1"),
        "plateau_patience": (int_from(0), "an integer >= 0"), "min_lr": (num_from(0), "a number >= 0"),
        "clip_grad": (num_from(0), "a number >= 0"), "l1": (num_from(0), "a number >= 0"),
        "l1_scope": _one_of(L1_SCOPES),
    }


#: How messages name some ``train`` keys (the others by their key).
_TRAIN_WORDS = {"batch_size": "batch size", "lr": "learning rate", "weight_decay": "weight decay"}


def check_train_value(key: str, value) -> None:
    """ConfigError unless ``value`` is valid for ``train.<key>`` on its own (the rules
    that involve other keys, or the input kind, are checked by :func:`validate`).

    Raises
    ------
    ConfigError
        ``<key> must be <expected>, got <value>``; or for a key :data:`SCHEMA` does not
        know.
    """
    rules = _train_rules()
    if key not in rules:
        raise ConfigError(f"unknown config key 'train.{key}'; expected one of {', '.join(sorted(rules))}")
    test, want = rules[key]
    _need(test(value), f"{_TRAIN_WORDS.get(key, key)} must be {want}, got {value!r}")


def _check_train(t: dict, kind) -> None:
    """The ``train`` section: each value, the rules between values, and kind-specific
    settings only where the kind has them."""
    from seqnet import kinds
    from seqnet.training.settings import KNOB_DEFAULTS

    for key in ("epochs", "batch_size", "lr", "weight_decay", "patience", "monitor"):
        check_train_value(key, t[key])
    for option, what in KIND_TRAIN_OPTIONS.items():
        value = t.get(option, False)
        if option in kind.train_options:
            check_train_value(option, value)
        else:
            owners = " or ".join(k.label for k in kinds.KINDS.values() if option in k.train_options)
            _need(not value, f"{option} ({what}) applies to {owners} input only, not {kind.label} input")
    k = {**KNOB_DEFAULTS, **{key: t[key] for key in KNOB_DEFAULTS if key in t}}  # a config older than the knobs
    for key, value in k.items():
        check_train_value(key, value)
    _need(not k["nesterov"] or (k["optimizer"] == "sgd" and k["momentum"] > 0),
          f"nesterov needs optimizer sgd with momentum > 0 (optimizer {k['optimizer']}, momentum {k['momentum']})")
    warm = k["warmup_epochs"]
    if k["schedule"] in ("cosine", "onecycle"):
        _need(warm < t["epochs"], f"warmup_epochs must be < epochs ({t['epochs']}), got {warm}")
    else:
        _need(warm == 0, f"warmup_epochs applies to the cosine and onecycle schedules, not {k['schedule']!r}")
    if k["schedule"] in ("cosine", "plateau"):
        _need(k["min_lr"] < t["lr"], f"min_lr must be below the learning rate ({t['lr']}), got {k['min_lr']!r}")


def dump(cfg: dict) -> str:
    """Serialise a resolved config as YAML (keys in their natural order)."""
    return yaml.safe_dump(cfg, sort_keys=False)
