"""Config resolution and validation."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from seqnet import config as config_mod
from seqnet.errors import ConfigError

ROOT = Path(__file__).resolve().parents[1]


def test_packaged_recipes_mirror_configs_dir():
    """configs/ (user-facing) and seqnet/configs/ (installed) hold the same recipes."""
    user = {p.name: p.read_text() for p in (ROOT / "configs").glob("*.yaml")}
    packaged = {p.name: p.read_text() for p in (ROOT / "seqnet" / "configs").glob("*.yaml")}
    assert user and user == packaged


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
