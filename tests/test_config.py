"""Config resolution and validation."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from seqnet import config as config_mod
from seqnet.errors import ConfigError

ROOT = Path(__file__).resolve().parents[1]


def test_packaged_recipes_are_the_configs_dir():
    """The installed package reads configs/ itself (seqnet/configs links to it): one copy."""
    import fnmatch
    import tomllib

    from seqnet.recipes import recipe_dir

    assert (ROOT / "seqnet" / "configs").resolve() == (ROOT / "configs").resolve()
    user = {p.relative_to(ROOT / "configs").as_posix(): p.read_text() for p in (ROOT / "configs").rglob("*.yaml")}
    packaged = {}
    for sub in ("", "defaults"):
        folder = recipe_dir() / sub if sub else recipe_dir()
        packaged.update({f"{sub}/{p.name}".lstrip("/"): p.read_text() for p in folder.iterdir() if p.name.endswith(".yaml")})
    assert user and user == packaged
    # and a wheel ships every one of them
    patterns = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]["seqnet"]
    assert all(any(fnmatch.fnmatch(f"configs/{name}", pat) for pat in patterns) for name in user)


def _all_models():
    from seqnet.models import REGISTRY

    return [(kind, name) for kind in REGISTRY for name in REGISTRY[kind]]


@pytest.mark.parametrize("kind, name", _all_models())
def test_recipes_hold_only_what_differs(kind, name):
    """A recipe sets only values that differ from its kind's defaults and its model's own."""
    from seqnet import recipes
    from seqnet.models import REGISTRY

    recipe = recipes.read_recipe(name, kind)
    config_mod.check_keys(recipe, name)
    assert recipe["model"] == name and recipe.get("kind", "sequence") == kind
    base = recipes.kind_defaults(kind)
    for section in ("train", "data"):
        for key, value in recipe.get(section, {}).items():
            assert value != base[section][key], f"{section}.{key} repeats the {kind} default"
    arch = REGISTRY[kind][name].hyper_parameters()
    for key, value in (recipe.get("model_args") or {}).items():
        assert key in arch and value != arch[key], f"model_args.{key}: not an argument, or the default"


@pytest.mark.parametrize("kind, name", _all_models())
def test_resolved_config_is_complete(kind, name):
    """model_args hold every hyper-parameter (a checkpoint rebuilds the same model if a
    default changes later); train / data hold the kind's keys."""
    from seqnet import recipes
    from seqnet.models import REGISTRY

    cfg = config_mod.resolve(name, kind=kind)
    assert list(cfg) == [k for k in config_mod.SCHEMA if k in cfg]
    assert list(cfg["model_args"]) == list(REGISTRY[kind][name].hyper_parameters())
    base = recipes.kind_defaults(kind)
    assert list(cfg["train"]) == list(base["train"]) and list(cfg["data"]) == list(base["data"])
    assert config_mod.defaults(kind, name) == config_mod.packaged_recipe(name, kind) == cfg


def test_defaults():
    table = config_mod.defaults("table")
    assert set(table) == {"train", "data", "seed", "device"} and table["data"]["standardize"] == "feature"
    table["train"]["epochs"] = -1  # a fresh copy every time
    assert config_mod.defaults("table")["train"]["epochs"] == 200
    assert config_mod.defaults("table", "softmax")["train"]["epochs"] == 300  # the recipe changes it
    assert config_mod.defaults("sequence", "danq")["model_args"]["lstm_hidden"] == 320
    with pytest.raises(ConfigError, match="unknown input kind 'text'"):
        config_mod.defaults("text")
    with pytest.raises(ConfigError, match="unknown model 'lenet'"):
        config_mod.defaults("sequence", "lenet")


def test_kind_defaults_recipe_user_file_and_cli_in_that_order(tmp_path):
    user = tmp_path / "c.yaml"
    user.write_text("kind: timeseries\nmodel: lstm\ntrain:\n  patience: 3\n  lr: 0.01\nmodel_args:\n  rnn_layers: 2\n")
    cfg = config_mod.resolve(None, user, {"train": {"lr": 0.02}})
    assert cfg["train"]["epochs"] == 200  # kind default
    assert cfg["train"]["weight_decay"] == 0.01  # recipe over kind default
    assert cfg["train"]["patience"] == 3 and cfg["train"]["lr"] == 0.02  # user file, then CLI
    args = cfg["model_args"]
    assert args["rnn_dropout"] == 0.0 and args["rnn_hidden"] == 64 and args["rnn_layers"] == 2  # arch < recipe < user


def test_every_recipe_resolves_and_builds():
    from seqnet.models import MODELS, build_model

    for name in MODELS:
        cfg = config_mod.resolve(name)
        assert cfg["model"] == name
        build_model(name, n_channels=4, length=100, n_outputs=2, **cfg["model_args"])


def test_precedence(tmp_path):
    user = tmp_path / "c.yaml"
    user.write_text("train:\n  epochs: 7\n  lr: 0.01\nmodel_args:\n  n_filters: 3\n")
    cfg = config_mod.resolve(None, user, {"train": {"epochs": 2, "lr": None}})
    assert cfg["train"]["epochs"] == 2  # CLI beats file
    assert cfg["train"]["lr"] == 0.01  # file beats recipe; None means "not given"
    assert cfg["model_args"]["n_filters"] == 3
    assert cfg["model_args"]["filter_width"] == config_mod.packaged_recipe("deepbind")["model_args"]["filter_width"]


def test_dump_round_trip(tmp_path):
    cfg = config_mod.resolve()
    path = tmp_path / "config.yaml"
    path.write_text(config_mod.dump(cfg))
    assert config_mod.resolve(None, path) == cfg
    assert yaml.safe_load(path.read_text()) == cfg


@pytest.mark.parametrize(
    "text, message",
    [
        ("train: [1, 2", r"c\.yaml: line \d+: not valid YAML"),
        ("- a\n- b\n", "expected a mapping"),
        ("trian:\n  epochs: 1\n", "unknown config key 'trian'"),
        ("data:\n  lenght: 5\n", r"unknown config key 'data\.lenght'"),
        ("train: 5\n", "section 'train' must be a mapping"),
    ],
)
def test_bad_config_file(tmp_path, text, message):
    path = tmp_path / "c.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=message):
        config_mod.resolve(None, path)


def test_missing_config_file(tmp_path):
    with pytest.raises(ConfigError, match="nope.yaml: no such config file"):
        config_mod.resolve(None, tmp_path / "nope.yaml")


@pytest.mark.parametrize(
    "override, message",
    [
        ({"train": {"epochs": 0}}, "epochs must be an integer >= 1, got 0"),
        ({"train": {"epochs": 2.5}}, "epochs must be an integer"),
        ({"train": {"lr": 0}}, "learning rate must be > 0"),
        ({"train": {"monitor": "f1"}}, "monitor must be 'auroc', 'loss' or 'accuracy'"),
        ({"data": {"test_fraction": 0.5, "valid_fraction": 0.5}}, "valid fraction \\+ test fraction must be < 1"),
        ({"data": {"unknown": "random"}}, "unknown must be 'zeros' or 'uniform'"),
        ({"data": {"alphabet": "xna"}}, "alphabet must be dna, rna or protein"),
        ({"seed": -3}, "seed must be an integer >= 0"),
    ],
)
def test_validation(override, message):
    with pytest.raises(ConfigError, match=message):
        config_mod.resolve(None, None, override)


def test_unknown_model():
    with pytest.raises(ConfigError, match="unknown model .resnet9000.; expected one of: basset, .*deepbind"):
        config_mod.resolve("resnet9000")


def test_input_kinds_have_their_own_recipes(tmp_path):
    assert config_mod.resolve(kind="timeseries")["model"] == "lstm"
    assert config_mod.resolve(kind="table")["model"] == "mlp" and config_mod.resolve(kind="image")["model"] == "lenet"
    cfg = config_mod.resolve("lstm", kind="timeseries")
    assert cfg["kind"] == "timeseries" and "rnn_hidden" in cfg["model_args"] and cfg["data"]["standardize"] == "gene"
    assert "kind" not in config_mod.resolve("lstm")  # sequence configs are unchanged
    user = tmp_path / "c.yaml"
    user.write_text("kind: image\nmodel: resnet\n")
    assert config_mod.resolve(None, user)["model_args"]["channels"] == [16, 32, 64]
    with pytest.raises(ConfigError, match=r"c\.yaml: the config is for image input \(kind: image\) but the input is table data"):
        config_mod.resolve(None, user, kind="table")


@pytest.mark.parametrize(
    "kind, override, message",
    [
        ("timeseries", {"data": {"alphabet": "dna"}}, "data.alphabet does not apply to time-series input"),
        ("sequence", {"data": {"standardize": "gene"}}, "data.standardize does not apply to sequence input"),
        ("table", {"data": {"standardize": "gene"}}, "standardize must be 'feature' or 'none' for table input"),
        ("timeseries", {"data": {"time_points": 1}}, "time points must be an integer >= 2"),
        ("timeseries", {"data": {"series": "alpha"}}, "series must be a list of series names"),
        ("image", {"data": {"image_shape": "28"}}, "expected HxW or CxHxW"),
        ("image", {"train": {"rc_augment": True}}, "rc_augment (reverse complement) applies to sequence input only"),
    ],
)
def test_validation_per_kind(kind, override, message):
    import re

    with pytest.raises(ConfigError, match=re.escape(message)):
        config_mod.resolve(None, None, override, kind=kind)
