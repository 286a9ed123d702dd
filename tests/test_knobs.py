"""The training knobs: optimisers, learning-rate schedules, L1, gradient clipping, activations
and batch norm, from the library and the command line, and the recipes' multi_output section."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import torch
import yaml

from seqnet import config as config_mod
from seqnet.errors import ConfigError
from seqnet.models import build_model
from seqnet.training import TrainSettings, fit
from seqnet.training.optim import build_optimizer, build_schedule, l1_parameters, penalise_and_clip

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "data" / "demo"


def _demo_args(out: Path, tiny_config: Path, *extra) -> list:
    return ["train", "--positives", DEMO / "positives.fa.gz", "--negatives", DEMO / "negatives.fa.gz",
            "--config", tiny_config, "--epochs", "1", "--baselines", "none", "--device", "cpu", "--quiet",
            "--out", out, *extra]


KNOB_RUNS = [
    *[("optimizer", ["--optimizer", name]) for name in ("adam", "adamw", "sgd", "rmsprop")],
    ("nesterov", ["--optimizer", "sgd", "--momentum", "0.8", "--nesterov"]),
    *[("schedule", ["--schedule", name]) for name in ("none", "plateau", "cosine", "onecycle", "step")],
    *[("activation", ["--activation", name]) for name in ("relu", "leaky_relu", "prelu", "elu", "selu", "gelu",
                                                          "softplus", "tanh", "sigmoid", "softsign")],
    ("penalties", ["--l1", "1e-4", "--l1-scope", "first", "--clip-grad", "1.0", "--batch-norm", "--dropout", "0.1"]),
]


@pytest.mark.parametrize("what, options", KNOB_RUNS, ids=[" ".join(o) for _, o in KNOB_RUNS])
def test_every_knob_trains_the_demo_data_one_epoch_from_the_cli(what, options, cli, tiny_config, tmp_path):
    out = tmp_path / "run"
    result = cli(*_demo_args(out, tiny_config, *options))
    assert result.exit_code == 0, result.output
    cfg = yaml.safe_load((out / "config.yaml").read_text())
    flags = dict(zip(options[::2], options[1::2]))
    for flag, value in flags.items():
        key = flag.removeprefix("--").replace("-", "_")
        section = "model_args" if key in ("activation", "batch_norm", "dropout") else "train"
        if value.startswith("--"):
            continue
        recorded = cfg[section][key]
        assert str(recorded) == value or recorded == pytest.approx(float(value)), (key, recorded)
    import pandas as pd

    history = pd.read_csv(out / "history.csv")
    assert len(history) == 1 and np.isfinite(history.train_loss[0]) and history.lr[0] > 0
    metrics = (out / "metrics.json").read_text()
    assert '"auroc"' in metrics


def test_knobs_are_recorded_in_config_yaml_with_their_defaults(cli, tiny_config, tmp_path):
    out = tmp_path / "run"
    assert cli(*_demo_args(out, tiny_config)).exit_code == 0
    train = yaml.safe_load((out / "config.yaml").read_text())["train"]
    assert {k: train[k] for k in ("optimizer", "momentum", "nesterov", "schedule", "clip_grad", "l1")} == {
        "optimizer": "adam", "momentum": 0.9, "nesterov": False, "schedule": "none", "clip_grad": 0.0, "l1": 0.0}
    args = yaml.safe_load((out / "config.yaml").read_text())["model_args"]
    assert args["activation"] == "relu" and args["batch_norm"] is False


@pytest.mark.parametrize("options, message", [
    (["--optimizer", "sdg"], "Error: --optimizer must be one of adam, adamw, sgd, rmsprop, got sdg"),
    (["--schedule", "linear"], "Error: --schedule must be one of none, plateau, cosine, onecycle, step, got linear"),
    (["--activation", "swish"], "Error: --activation must be one of relu, leaky_relu, prelu, elu, selu, gelu, "
                                "softplus, tanh, sigmoid, softsign, got swish"),
    (["--momentum", "1.5"], "Error: --momentum must be in [0, 1), got 1.5"),
    (["--clip-grad", "-1"], "Error: --clip-grad must be >= 0, got -1"),
    (["--l1", "-0.1"], "Error: --l1 must be >= 0, got -0.1"),
    (["--lr-factor", "1"], "Error: --lr-factor must be in (0, 1), got 1"),
    (["--l1-scope", "last"], "Error: --l1-scope must be one of all, first, got last"),
    (["--nesterov"], "Error: nesterov needs optimizer sgd with momentum > 0 (optimizer adam, momentum 0.9)"),
    (["--warmup-epochs", "2"], "Error: warmup_epochs applies to the cosine and onecycle schedules, not 'none'"),
    (["--schedule", "cosine", "--warmup-epochs", "1"], "Error: warmup_epochs must be < epochs (1), got 1"),
    (["--schedule", "cosine", "--min-lr", "1"], "Error: min_lr must be below the learning rate (0.003), got 1.0"),
    (["--model", "lstm", "--batch-norm"], "Error: model 'lstm': bad arguments (unknown argument 'batch_norm' "
                                          "(fixed to False by this model)"),
])
def test_bad_knob_values_are_one_line_errors(options, message, cli, tiny_config, tmp_path):
    args = _demo_args(tmp_path / "run", tiny_config, *options)
    if "--model" in options:
        args.remove("--config")
        args.remove(tiny_config)
    result = cli(*args)
    assert result.exit_code == 1
    assert result.output.startswith(message) and result.output.count("\n") == 1, result.output
    assert not (tmp_path / "run").exists()


@pytest.mark.parametrize("train, message", [
    ({"optimizer": "sdg"}, "optimizer must be one of adam, adamw, sgd, rmsprop, got 'sdg'"),
    ({"momentum": 1}, "momentum must be in [0, 1), got 1"),
    ({"schedule": "cosine", "warmup_epochs": -1}, "warmup_epochs must be an integer >= 0, got -1"),
    ({"step_epochs": 0}, "step_epochs must be an integer >= 1, got 0"),
    ({"l1_scope": "head"}, "l1_scope must be one of all, first, got 'head'"),
    ({"nesterov": "yes"}, "nesterov must be true or false, got 'yes'"),
])
def test_bad_knobs_in_a_recipe_name_the_key(train, message, tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump({"train": train}))
    with pytest.raises(ConfigError) as err:
        config_mod.resolve(config_file=path)
    assert str(err.value) == message


def test_unknown_activation_in_model_args_names_the_model():
    with pytest.raises(ConfigError, match=r"model 'dilated': bad arguments \(activation must be one of 'relu', "
                                          r"'leaky_relu', .*, not 'swish'\)"):
        config_mod.resolve("dilated", overrides={"model_args": {"activation": "swish"}})


# -- the library: optimisers, schedules, penalties ---------------------------------------------------


def _planted(n=120, length=30, seed=0):
    from seqnet.alphabets import DNA
    from seqnet.datasets import SequenceSet

    rng = np.random.default_rng(seed)
    tokens = rng.integers(0, 4, size=(n, length)).astype(np.uint8)
    y = (np.arange(n) % 2 == 0).astype(np.float32)[:, None]
    for i in np.flatnonzero(y[:, 0]):
        p = rng.integers(0, length - 8)
        tokens[i, p : p + 8] = [0, 1, 2, 3, 0, 1, 2, 3]
    return SequenceSet(ids=[f"s{i}" for i in range(n)], tokens=tokens, y=y, task_type="binary", names=["t"],
                       alphabet=DNA, groups=np.arange(n))


def _model(seed=0, **kw):
    torch.manual_seed(seed)
    return build_model("deepbind", n_outputs=1, **{"n_filters": 8, "filter_width": 8, "hidden": 0, "dropout": 0.0,
                                                   **kw})


def test_default_settings_train_exactly_as_plain_adam_did(monkeypatch):
    """Adam, no schedule, no L1, no clipping: the same weights as the optimiser built before the knobs."""
    import seqnet.training.loop as loop

    data = _planted()
    train, valid = data.subset(np.arange(100)), data.subset(np.arange(100, 120))
    settings = TrainSettings(epochs=3, batch_size=16, lr=0.01, weight_decay=1e-4, seed=2)
    new = _model()
    fit(new, train, valid, settings)
    monkeypatch.setattr(loop, "build_optimizer",
                        lambda m, s: torch.optim.Adam(m.parameters(), lr=s.lr, weight_decay=s.weight_decay))
    old = _model()
    fit(old, train, valid, settings)
    for a, b in zip(new.parameters(), old.parameters()):
        assert torch.equal(a, b)


def test_optimizers_get_their_settings():
    model = _model()
    s = TrainSettings(epochs=1, batch_size=8, lr=0.1, weight_decay=0.01, momentum=0.7)
    adam = build_optimizer(model, s)
    assert type(adam) is torch.optim.Adam and adam.defaults["betas"] == (0.7, 0.999)
    adamw = build_optimizer(model, TrainSettings(**{**s.__dict__, "optimizer": "adamw"}))
    assert type(adamw) is torch.optim.AdamW and adamw.defaults["weight_decay"] == 0.01
    sgd = build_optimizer(model, TrainSettings(**{**s.__dict__, "optimizer": "sgd", "nesterov": True}))
    assert type(sgd) is torch.optim.SGD and sgd.defaults["momentum"] == 0.7 and sgd.defaults["nesterov"]
    rms = build_optimizer(model, TrainSettings(**{**s.__dict__, "optimizer": "rmsprop"}))
    assert type(rms) is torch.optim.RMSprop and rms.defaults["momentum"] == 0.7
    with pytest.raises(ConfigError, match="optimizer must be one of adam, adamw, sgd, rmsprop, got 'sdg'"):
        TrainSettings(epochs=1, batch_size=8, lr=0.1, optimizer="sdg")


def _rates(schedule: str, epochs=4, steps=5, scores=None, **kw) -> list[list[float]]:
    """The learning rate of every step, epoch by epoch."""
    p = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([p], lr=1.0)
    s = TrainSettings(epochs=epochs, batch_size=1, lr=1.0, schedule=schedule, **kw)
    sched = build_schedule(opt, s, steps)
    out = []
    for e in range(epochs):
        row = []
        for _ in range(steps):
            row.append(sched.lr)
            opt.step()
            sched.batch_done()
        sched.epoch_done(scores[e] if scores else float(e))
        out.append(row)
    return out


def test_schedules_follow_their_formulas():
    assert _rates("none") == [[1.0] * 5] * 4
    step = _rates("step", step_epochs=2, lr_factor=0.5)
    assert [r[0] for r in step] == [1.0, 1.0, 0.5, 0.5] and all(len(set(r)) == 1 for r in step)
    # cosine with one epoch (5 steps) of linear warm-up, then down to min_lr at the end
    cos = [x for r in _rates("cosine", warmup_epochs=1, min_lr=0.1) for x in r]
    assert cos[:5] == pytest.approx([0.2, 0.4, 0.6, 0.8, 1.0])
    t = np.arange(15) / 15
    assert cos[5:] == pytest.approx(list(0.1 + 0.9 * 0.5 * (1 + np.cos(np.pi * t))))
    one = [x for r in _rates("onecycle", warmup_epochs=1) for x in r]
    assert one[0] == pytest.approx(1 / 25) and max(one) == pytest.approx(1.0) and one.index(max(one)) in (4, 5)
    assert one[-1] < 1e-3
    # plateau: the score stops improving after epoch 1; patience 1 -> a drop after epoch 3
    plateau = _rates("plateau", plateau_patience=1, lr_factor=0.5, scores=[1.0, 2.0, 2.0, 2.0])
    assert [r[0] for r in plateau] == [1.0, 1.0, 1.0, 1.0]
    plateau = _rates("plateau", epochs=5, plateau_patience=1, lr_factor=0.5, scores=[1.0, 2.0, 2.0, 2.0, 2.0])
    assert [r[0] for r in plateau] == [1.0, 1.0, 1.0, 1.0, 0.5]


def test_fit_records_the_learning_rate_and_steps_the_schedule():
    data = _planted(n=80)
    s = TrainSettings(epochs=3, batch_size=16, lr=0.05, schedule="step", step_epochs=1, lr_factor=0.1, seed=0)
    result = fit(_model(), data.subset(np.arange(60)), data.subset(np.arange(60, 80)), s)
    assert [r["lr"] for r in result.history] == pytest.approx([0.05, 0.005, 0.0005])


def test_l1_targets_the_chosen_weights_and_shrinks_them():
    model = _model(hidden=4)
    every = l1_parameters(model, "all")
    assert [p.shape for p in every] == [model.conv.weight.shape, model.head[1].weight.shape,
                                        model.head[4].weight.shape]
    assert l1_parameters(model, "first") == [model.conv.weight]
    mlp = build_model("mlp", "table", input_shape=[5], n_outputs=1)
    assert l1_parameters(mlp, "first") == [mlp.net[0].weight]
    for p in model.parameters():
        p.grad = torch.zeros_like(p)
    penalise_and_clip(list(model.parameters()), every, TrainSettings(epochs=1, batch_size=1, lr=1, l1=0.5))
    assert torch.equal(model.conv.weight.grad, 0.5 * torch.sign(model.conv.weight))
    assert torch.equal(model.conv.bias.grad, torch.zeros_like(model.conv.bias))  # biases are not penalised
    # training with a strong L1 on the first layer drives its weights towards 0
    data = _planted(n=80)
    sizes = {}
    for l1 in (0.0, 0.05):
        m = _model()
        fit(m, data, None, TrainSettings(epochs=4, batch_size=16, lr=0.01, l1=l1, l1_scope="first", seed=0))
        sizes[l1] = float(m.conv.weight.detach().abs().mean())
    assert sizes[0.05] < 0.5 * sizes[0.0]


def test_clip_grad_bounds_the_gradient_norm():
    model = _model()
    params = list(model.parameters())
    for p in params:
        p.grad = torch.full_like(p, 10.0)
    penalise_and_clip(params, [], TrainSettings(epochs=1, batch_size=1, lr=1, clip_grad=1.0))
    norm = math.sqrt(sum(float((p.grad ** 2).sum()) for p in params))
    assert norm == pytest.approx(1.0, rel=1e-4)


# -- multi_output recipe sections --------------------------------------------------------------------


def test_multi_output_section_applies_only_to_several_outputs_and_the_user_still_wins(tmp_path):
    one = config_mod.resolve("deepbind")
    several = config_mod.resolve("deepbind", outputs=3)
    recipe = yaml.safe_load((ROOT / "configs" / "deepbind.yaml").read_text())
    assert "multi_output" not in one and "multi_output" not in several
    for section, values in recipe.get("multi_output", {}).items():
        for key, value in values.items():
            assert several[section][key] == value
    user = tmp_path / "user.yaml"
    user.write_text("train:\n  batch_size: 99\nmulti_output:\n  train:\n    epochs: 7\n")
    cfg = config_mod.resolve(config_file=user, outputs=2)
    assert cfg["train"]["batch_size"] == 99 and cfg["train"]["epochs"] == 7
    assert config_mod.resolve(config_file=user, overrides={"train": {"epochs": 3}}, outputs=2)["train"]["epochs"] == 3
    assert config_mod.resolve(config_file=user)["train"]["epochs"] == one["train"]["epochs"]
    bad = tmp_path / "bad.yaml"
    bad.write_text("multi_output:\n  data:\n    length: 5\n")
    with pytest.raises(ConfigError, match="bad.yaml: section 'multi_output' holds train and model_args values"):
        config_mod.resolve(config_file=bad)
    bad.write_text("multi_output:\n  train:\n    epoch: 5\n")
    with pytest.raises(ConfigError, match=r"bad.yaml: multi_output: unknown config key 'train.epoch'"):
        config_mod.resolve(config_file=bad)


def test_the_knobs_are_listed_alike_everywhere():
    """The CLI's choices, the config schema and the packaged defaults follow the library's lists."""
    from seqnet import cli, recipes
    from seqnet.models.common import ACTIVATIONS
    from seqnet.training.settings import KNOB_DEFAULTS, OPTIMIZERS, SCHEDULES

    assert cli.OPTIMIZERS == OPTIMIZERS and cli.SCHEDULES == SCHEDULES and cli.ACTIVATIONS == tuple(ACTIVATIONS)
    assert set(cli.KNOB_OPTIONS) == set(KNOB_DEFAULTS) <= config_mod.SCHEMA["train"]
    for kind in ("sequence", "timeseries", "table", "image"):
        train = recipes.kind_defaults(kind)["train"]
        assert {k: train[k] for k in KNOB_DEFAULTS} == KNOB_DEFAULTS
