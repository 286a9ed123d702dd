"""The model registry and the DeepBind CNN's tensor contract."""

from __future__ import annotations

import pytest
import torch

from seqnet.errors import ConfigError
from seqnet.models import MODELS, build_model


@pytest.mark.parametrize("name", sorted(MODELS))
@pytest.mark.parametrize("channels", [4, 20])
def test_contract(name, channels):
    torch.manual_seed(0)
    model = build_model(name, n_channels=channels, length=50, n_outputs=3).eval()
    x = torch.rand(5, channels, 50)
    out = model(x)
    assert out.shape == (5, 3)
    # eval-mode outputs do not depend on the batch they are computed in
    torch.testing.assert_close(model(x[:2]), out[:2])
    # a backward pass reaches every parameter
    model.train()
    model(x).sum().backward()
    assert all(p.grad is not None for p in model.parameters())


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
    with pytest.raises(ConfigError, match="unknown model 'x'; expected one of: deepbind"):
        build_model("x")
    with pytest.raises(ConfigError, match="model 'deepbind': bad arguments"):
        build_model("deepbind", n_filter=3)
    with pytest.raises(ConfigError, match="pool must be 'max' or 'maxavg'"):
        build_model("deepbind", pool="min")
