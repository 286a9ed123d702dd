"""The model registry and DeepBind specifics (the contract every registered model meets is
in test_models_zoo.py)."""

from __future__ import annotations

import pytest
import torch

from seqnet.errors import ConfigError
from seqnet.models import build_model


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
