"""Model knobs: every activation in every model that has one, batch norm on / off, SELU's
initialisation and alpha-dropout, and checkpoints written before the knobs existed."""

from __future__ import annotations

import pytest
import torch
import torch.nn as nn

from seqnet.errors import ConfigError
from seqnet.models import REGISTRY, build_model
from seqnet.models.common import ACTIVATIONS

#: Small sizes per model, so that every combination builds and runs in milliseconds.
SMALL = {
    ("sequence", "deepbind"): dict(n_filters=8, filter_width=5, hidden=4),
    ("sequence", "deepsea"): dict(n_filters=[4, 4, 4], hidden=8),
    ("sequence", "basset"): dict(n_filters=[4, 4, 4], hidden=[8]),
    ("sequence", "dilated"): dict(channels=8, n_blocks=2, hidden=4),
    ("sequence", "lstm"): dict(lstm_hidden=4, hidden=4),
    ("sequence", "bilstm"): dict(lstm_hidden=4, hidden=4),
    ("sequence", "danq"): dict(n_filters=4, lstm_hidden=4, hidden=4),
    ("sequence", "cnn_lstm"): dict(n_filters=[4, 4], lstm_hidden=4, hidden=4),
    ("timeseries", "lstm"): dict(rnn_hidden=4, hidden=4),
    ("timeseries", "bilstm"): dict(rnn_hidden=4, hidden=4),
    ("timeseries", "gru"): dict(rnn_hidden=4, hidden=4),
    ("timeseries", "cnn"): dict(n_filters=[4, 4], hidden=4),
    ("timeseries", "mlp"): dict(hidden=[8]),
    ("table", "mlp"): dict(hidden=[8]),
    ("image", "mlp"): dict(hidden=[8]),
    ("image", "lenet"): dict(hidden=[8]),
    ("image", "resnet"): dict(channels=[4, 8]),
}
SHAPES = {"sequence": dict(n_channels=4, length=64), "timeseries": dict(input_shape=[6, 2]),
          "table": dict(input_shape=[5]), "image": dict(input_shape=[1, 28, 28])}


def _build(kind: str, name: str, **kw) -> nn.Module:
    torch.manual_seed(0)
    return build_model(name, kind, n_outputs=3, **SHAPES[kind], **SMALL[(kind, name)], **kw)


def _input(kind: str, model: nn.Module) -> torch.Tensor:
    if kind == "sequence":
        return nn.functional.one_hot(torch.randint(0, 4, (5, 64)), 4).float().transpose(1, 2)
    return torch.randn(5, *model.input_shape)


@pytest.mark.parametrize("kind, name", list(SMALL))
@pytest.mark.parametrize("activation", list(ACTIVATIONS))
def test_every_model_with_an_activation_takes_every_activation(kind, name, activation):
    model = _build(kind, name, activation=activation)
    types = {type(m) for m in model.modules()}
    assert ACTIVATIONS[activation] in types
    if activation == "selu":
        assert nn.Dropout not in types  # alpha-dropout keeps SELU's self-normalisation
    model.train()
    out = model(_input(kind, model))
    assert out.shape == (5, 3) and torch.isfinite(out).all()
    out.sum().backward()


def test_softmax_has_no_activation_to_choose():
    with pytest.raises(ConfigError, match=r"unknown argument 'activation' \(fixed to 'relu' by this model\)"):
        build_model("softmax", "table", input_shape=[3], activation="tanh")


@pytest.mark.parametrize("kind, name, default", [
    ("sequence", "deepbind", False), ("sequence", "deepsea", False), ("sequence", "basset", True),
    ("sequence", "dilated", True), ("sequence", "cnn_lstm", False), ("sequence", "danq", False),
    ("timeseries", "cnn", True), ("table", "mlp", False), ("image", "lenet", False),
])
def test_batch_norm_on_and_off(kind, name, default):
    def norms(model):
        return sum(isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)) for m in model.modules())

    assert (norms(_build(kind, name)) > 0) is default
    assert norms(_build(kind, name, batch_norm=True)) > 0
    assert norms(_build(kind, name, batch_norm=False)) == 0
    model = _build(kind, name, batch_norm=True)
    assert model(_input(kind, model)).shape == (5, 3)


def test_selu_brings_lecun_normal_initialisation():
    model = build_model("mlp", "table", input_shape=[400], hidden=[300], n_outputs=1, activation="selu")
    weight = model.net[0].weight
    assert abs(float(weight.detach().std()) - 400 ** -0.5) < 0.002 and float(model.net[0].bias.detach().abs().max()) == 0
    assert isinstance(model.net[2], nn.AlphaDropout)
    # ReLU keeps PyTorch's default (uniform, +-1/sqrt(fan_in)): no re-initialisation
    relu = build_model("mlp", "table", input_shape=[400], hidden=[300], n_outputs=1)
    assert float(relu.net[0].weight.detach().abs().max()) <= 400 ** -0.5


def test_prelu_learns_its_slope():
    model = _build("sequence", "deepbind", activation="prelu")
    assert "act.weight" in dict(model.named_parameters())


def test_default_models_keep_their_old_layout():
    """State dicts of default models are those of checkpoints written before the knobs."""
    model = build_model("deepbind", n_channels=4, length=50, n_outputs=1, n_filters=8, filter_width=5)
    assert list(model.state_dict()) == ["conv.weight", "conv.bias", "head.1.weight", "head.1.bias", "head.4.weight",
                                        "head.4.bias"]
    dilated = build_model("dilated", n_channels=4, length=50, n_outputs=1, channels=8, n_blocks=1)
    assert "stem.1.running_mean" in dilated.state_dict() and "blocks.0.bn.weight" in dilated.state_dict()


@pytest.mark.parametrize("kind, name, new", [
    ("sequence", "deepbind", ("activation", "batch_norm")), ("sequence", "dilated", ("batch_norm",)),
    ("sequence", "basset", ("activation", "batch_norm")), ("sequence", "cnn_lstm", ("activation", "batch_norm")),
    ("timeseries", "cnn", ("activation",)), ("image", "resnet", ("activation",)), ("table", "mlp", ("activation",)),
])
def test_checkpoints_without_the_new_arguments_still_load(kind, name, new, tmp_path):
    from seqnet import checkpoint as ckpt

    model = _build(kind, name).eval()
    args = {**SHAPES[kind], **SMALL[(kind, name)], "n_outputs": 3}
    assert not set(new) & set(args)  # as an older seqnet wrote them
    c = ckpt.make_checkpoint(model, name=name, model_args=args, alphabet=None, length=None, task_type="multilabel",
                             names=["a", "b", "c"], preprocess={}, config={}, kind=kind)
    ckpt.save(tmp_path / "model.pt", c)
    loaded = ckpt.load(tmp_path / "model.pt").model
    x = _input(kind, model)
    torch.testing.assert_close(loaded(x), model(x))


def test_shared_trunk_only_for_conv_relu_pool():
    """seqnet scan / ISM's shared computation assumes ReLU; batch norm folds into the filters."""
    from seqnet.apply.trunk import conv_pool_of

    args = dict(n_channels=4, length=50, n_outputs=1, n_filters=8, filter_width=5)
    assert conv_pool_of(build_model("deepbind", **args, activation="elu")) is None
    for extra in ({}, {"batch_norm": True}):
        torch.manual_seed(0)
        model = build_model("deepbind", **args, **extra)
        if extra:
            model.train()
            model(torch.rand(16, 4, 50))  # running statistics other than the initial ones
        model.eval()
        x = nn.functional.one_hot(torch.randint(0, 4, (3, 50)), 4).float().transpose(1, 2)
        trunk = conv_pool_of(model)
        torch.testing.assert_close(trunk.window_logits(x), model(x), rtol=1e-5, atol=1e-5)


def test_both_strands_only_where_there_is_a_reverse_complement():
    dna = build_model("deepbind", n_channels=4, n_outputs=1, n_filters=4, filter_width=3, both_strands=True)
    protein = build_model("deepbind", n_channels=20, n_outputs=1, n_filters=4, filter_width=3, both_strands=True)
    assert dna.both_strands and not protein.both_strands
