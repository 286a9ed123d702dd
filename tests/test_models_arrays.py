"""The contract of every time-series, table and image model: shapes, gradients, masks,
batch-size independence, and checkpoint round trips; the registry keyed by input kind."""

from __future__ import annotations

import re

import pytest
import torch

from seqnet import checkpoint as ckpt
from seqnet import config as config_mod
from seqnet.errors import ConfigError
from seqnet.models import KINDS, REGISTRY, build_model, describe_models, run_model

#: Per-sample shapes the contract is checked at.
SHAPES = {"timeseries": [9, 3], "table": [7], "image": [1, 12, 12]}

#: Small hyper-parameters over the packaged recipes, to keep each test fast.
SMALL = {
    ("timeseries", "lstm"): dict(rnn_hidden=6),
    ("timeseries", "bilstm"): dict(rnn_hidden=6, pool="maxmean", hidden=5),
    ("timeseries", "gru"): dict(rnn_hidden=6, bidirectional=True),
    ("timeseries", "cnn"): dict(n_filters=[5, 4], filter_width=[3, 2]),
    ("timeseries", "mlp"): dict(hidden=[8]),
    ("timeseries", "softmax"): {},
    ("table", "softmax"): {},
    ("table", "mlp"): dict(hidden=[8, 4], batch_norm=True),
    ("image", "softmax"): {},
    ("image", "mlp"): dict(hidden=[8]),
    ("image", "lenet"): dict(channels=[3, 4], hidden=[8, 6]),
    ("image", "resnet"): dict(channels=[4, 6], blocks=[1, 2]),
}
ARRAY_MODELS = sorted((k, n) for k in KINDS if k != "sequence" for n in REGISTRY[k])


def args_for(kind: str, name: str, n_outputs: int = 3) -> dict:
    args = dict(config_mod.packaged_recipe(name, kind)["model_args"] or {})
    args.update(SMALL[(kind, name)])
    return dict(input_shape=SHAPES[kind], n_outputs=n_outputs, with_mask=kind == "timeseries", **args)


def inputs(kind: str, n: int = 6, seed: int = 0):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, *SHAPES[kind], generator=g)
    mask = torch.rand(n, *SHAPES[kind], generator=g) > 0.2 if kind == "timeseries" else None
    if mask is not None:
        x = x * mask  # unobserved values are 0, as the reader makes them
    return x, mask


def test_small_covers_the_registry():
    assert set(SMALL) == set(ARRAY_MODELS)


@pytest.mark.parametrize("kind, name", ARRAY_MODELS)
def test_contract(kind, name, tmp_path):
    torch.manual_seed(0)
    args = args_for(kind, name)
    model = build_model(name, kind, **args).eval()
    assert model.takes_mask == (kind == "timeseries")
    x, mask = inputs(kind)
    out = run_model(model, x, mask)
    assert out.shape == (6, 3) and out.dtype == torch.float32
    # eval-mode outputs do not depend on the batch they are computed in
    torch.testing.assert_close(run_model(model, x[:2], None if mask is None else mask[:2]), out[:2])
    torch.testing.assert_close(run_model(model, x[4:5], None if mask is None else mask[4:5]), out[4:5])
    # a backward pass reaches every parameter
    model.train()
    run_model(model, x, mask).sum().backward()
    assert [n for n, p in model.named_parameters() if p.grad is None] == []
    model.eval()
    out = run_model(model, x, mask)  # batch-norm statistics moved in the training pass
    # save -> load (as seqnet.load does) gives identical outputs
    c = ckpt.make_checkpoint(model, name=name, model_args=args, alphabet=None, length=None, task_type="multiclass",
                             names=["a", "b", "c"], preprocess={}, config={}, kind=kind)
    ckpt.save(tmp_path / "model.pt", c)
    tm = ckpt.load(tmp_path / "model.pt")
    assert tm.kind == kind and tm.alphabet is None and tm.length is None
    torch.testing.assert_close(run_model(tm.model, x, mask), out, rtol=0, atol=0)


@pytest.mark.parametrize("name", sorted(REGISTRY["timeseries"]))
def test_mask_tells_missing_from_measured_zero(name):
    """A value flagged unobserved is not the same input as a measured 0."""
    torch.manual_seed(0)
    model = build_model(name, "timeseries", **args_for("timeseries", name)).eval()
    x = torch.zeros(1, *SHAPES["timeseries"])
    observed = torch.ones_like(x, dtype=torch.bool)
    missing = observed.clone()
    missing[0, 3, 1] = False
    assert not torch.equal(model(x, mask=observed), model(x, mask=missing))
    torch.testing.assert_close(model(x), model(x, mask=observed))  # no mask = all observed


def test_wrong_input_shape_is_a_clear_error():
    model = build_model("lenet", "image", **args_for("image", "lenet"))
    with pytest.raises(ValueError, match=re.escape("expected inputs of shape (N, 1, 12, 12), got (2, 1, 10, 10)")):
        model(torch.zeros(2, 1, 10, 10))


def test_registry_is_keyed_by_kind():
    from seqnet.models.recurrent import LSTMNet
    from seqnet.models.timeseries import TimeLSTM

    assert REGISTRY["sequence"]["lstm"] is LSTMNet and REGISTRY["timeseries"]["lstm"] is TimeLSTM
    with pytest.raises(ConfigError, match=re.escape(
            "unknown model 'lenet'; expected one of: basset, bilstm, cnn_lstm, danq, deepbind, deepsea, dilated, lstm "
            "('lenet' is an image model)")):
        build_model("lenet")
    with pytest.raises(ConfigError, match=re.escape("unknown model 'deepbind' for time-series input; expected one of: "
                                                    "bilstm, cnn, gru, lstm, mlp, softmax ('deepbind' is a sequence model)")):
        build_model("deepbind", "timeseries")
    with pytest.raises(ConfigError, match="model 'lenet': bad arguments .*LeNet needs images of at least 12x12"):
        build_model("lenet", "image", input_shape=[1, 8, 8])
    with pytest.raises(ConfigError, match="model 'mlp': bad arguments .*hidden\\[0\\] must be an integer >= 1"):
        build_model("mlp", "table", input_shape=[4], hidden=[0])


@pytest.mark.parametrize("kind", [k for k in KINDS if k != "sequence"])
def test_recipes_resolve_and_describe(kind):
    for name in REGISTRY[kind]:
        cfg = config_mod.resolve(name, kind=kind)
        assert cfg["kind"] == kind and cfg["model"] == name and "rc_augment" not in cfg["train"]
    rows = describe_models(kind=kind)
    assert [r["name"] for r in rows] == sorted(REGISTRY[kind]) and all(r["params"] > 0 for r in rows)
