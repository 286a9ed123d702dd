"""The model registry and DeepBind specifics (the contract every registered model meets is
in test_models_zoo.py)."""

from __future__ import annotations

import pytest
import torch

from seqnet.errors import ConfigError
from seqnet.models import KINDS, REGISTRY, build_model, model_name


def test_deepbind_both_strands_is_strand_symmetric():
    torch.manual_seed(0)
    model = build_model("deepbind", n_channels=4, n_outputs=1, both_strands=True).eval()
    x = torch.nn.functional.one_hot(torch.randint(0, 4, (6, 40)), 4).permute(0, 2, 1).float()
    torch.testing.assert_close(model(x), model(x.flip(1, 2)))


def test_deepbind_accepts_any_length():
    model = build_model("deepbind", n_channels=4, n_outputs=1, filter_width=9).eval()
    for length in (9, 10, 101, 1000):
        assert model(torch.rand(2, 4, length)).shape == (2, 1)


def test_build_model_errors():
    with pytest.raises(ConfigError, match="unknown model 'x'; expected one of: basset, .*deepbind, deepsea"):
        build_model("x")
    with pytest.raises(ConfigError, match="model 'deepbind': bad arguments"):
        build_model("deepbind", n_filter=3)
    with pytest.raises(ConfigError, match="pool must be 'max' or 'maxavg'"):
        build_model("deepbind", pool="min")


def test_deepbind_head_is_linear_for_several_outputs_and_hidden_for_one():
    one = build_model("deepbind", n_channels=4, n_outputs=1, n_filters=8, hidden=32)
    linears = [m for m in one.head if isinstance(m, torch.nn.Linear)]
    assert [(m.in_features, m.out_features) for m in linears] == [(16, 32), (32, 1)]
    several = build_model("deepbind", n_channels=4, n_outputs=5, n_filters=8, hidden=32)
    linears = [m for m in several.head if isinstance(m, torch.nn.Linear)]
    assert [(m.in_features, m.out_features) for m in linears] == [(16, 5)]
    wide = build_model("deepbind", n_channels=4, n_outputs=5, n_filters=8, multi_hidden=7)
    linears = [m for m in wide.head if isinstance(m, torch.nn.Linear)]
    assert [(m.in_features, m.out_features) for m in linears] == [(16, 7), (7, 5)]


def test_argument_checks_raise_config_error():
    from seqnet.models.common import as_tuple, check_int
    from seqnet.models.deepbind import DeepBindConfig

    with pytest.raises(ConfigError, match="n must be an integer >= 1, got 0"):
        check_int("n", 0)
    with pytest.raises(ConfigError, match=r"hidden\[1\] must be an integer >= 1, got 'x'"):
        as_tuple("hidden", [3, "x"])
    with pytest.raises(ConfigError, match="^pool must be 'max' or 'maxavg', not 'min'$"):
        DeepBindConfig(pool="min")  # a config checks itself
    with pytest.raises(ConfigError, match="^model 'deepbind': bad arguments \\(n_filters must be an integer >= 1"):
        build_model("deepbind", n_filters="many")  # never reaches torch


def test_unknown_and_fixed_arguments_are_one_line_errors():
    with pytest.raises(ConfigError, match=r"^model 'deepbind': bad arguments \(unknown argument 'n_filter'; "
                                          r"expected one of: n_channels, length, n_outputs, n_filters, "):
        build_model("deepbind", n_filter=3)
    with pytest.raises(ConfigError, match=r"model 'lstm': bad arguments \(unknown argument 'bidirectional' "
                                          r"\(fixed to False by this model\)"):
        build_model("lstm", bidirectional=True)
    with pytest.raises(ConfigError, match="unknown argument 'hidden' \\(fixed to None by this model\\)"):
        build_model("softmax", "table", input_shape=[3], hidden=[4])


def test_build_model_lets_a_constructor_bug_through(monkeypatch):
    """Only ConfigError means a user mistake: a TypeError inside a model is a bug, with its traceback."""
    from seqnet.models.spec import ModelSpec
    from seqnet.models.tabular import FlatConfig

    class Broken(torch.nn.Module):
        def __init__(self, config, name):
            super().__init__()
            torch.nn.Linear(config.input_shape, 2)  # a tuple where an int belongs

    monkeypatch.setitem(REGISTRY["table"], "broken", ModelSpec("broken", Broken, FlatConfig))
    with pytest.raises(TypeError):
        build_model("broken", "table", input_shape=[3])


def test_variants_are_specs_over_a_shared_class():
    seq, ts = REGISTRY["sequence"], REGISTRY["timeseries"]
    assert seq["lstm"].cls is seq["bilstm"].cls is seq["cnn_lstm"].cls is seq["danq"].cls
    assert ts["lstm"].cls is ts["bilstm"].cls is ts["gru"].cls
    assert ts["mlp"].cls is ts["softmax"].cls
    bilstm = build_model("bilstm", lstm_hidden=4, hidden=0)
    assert bilstm.lstm.bidirectional and not build_model("lstm", lstm_hidden=4).lstm.bidirectional
    assert model_name(bilstm) == "bilstm" and model_name(build_model("danq")) == "danq"
    assert build_model("gru", "timeseries").rnn.mode == "GRU"
    # danq is cnn_lstm with other defaults, not other arguments
    assert seq["danq"].arguments() == seq["cnn_lstm"].arguments()
    assert seq["danq"].hyper_parameters()["n_filters"] == 320 and seq["cnn_lstm"].hyper_parameters()["n_filters"] == [128, 128]


@pytest.mark.parametrize("kind", KINDS)
def test_defaults_live_in_the_config_dataclasses(kind):
    """Constructors take a checked config (and a name), no hyper-parameter with a default of its own;
    checking a checked config again changes nothing."""
    import dataclasses
    import inspect

    shape = dict(length=50) if kind == "sequence" else {}
    for spec in REGISTRY[kind].values():
        params = list(inspect.signature(spec.cls.__init__).parameters)
        assert params == ["self", "config", "name"], spec.name
        config = spec.config(**shape)
        assert dataclasses.replace(config) == config, spec.name


def test_models_never_import_config():
    """The dependency is one way: seqnet.config uses the models, the models use seqnet.recipes."""
    import ast
    from pathlib import Path

    import seqnet.models

    for path in Path(seqnet.models.__file__).parent.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom):
                names = [node.module or ""] + [f"{node.module}.{a.name}" for a in node.names]
            assert not any(n == "seqnet.config" or n.startswith("seqnet.config.") for n in names), path.name
