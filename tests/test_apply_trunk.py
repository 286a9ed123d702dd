"""The shared computation of seqnet.apply.trunk equals the plain per-window path."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from seqnet.apply.trunk import conv_pool_of, incremental_ism
from seqnet.encode import one_hot_torch
from seqnet.models import build_model


def _deepbind(seed=0, **kw):
    torch.manual_seed(seed)
    args = dict(n_channels=4, length=50, n_outputs=3, n_filters=6, hidden=5, multi_hidden=5)
    args.update(kw)
    model = build_model("deepbind", **args).eval()
    with torch.no_grad():
        for p in model.parameters():
            p.mul_(3.0)
    return model


CONFIGS = [
    dict(filter_width=9), dict(filter_width=10), dict(filter_width=1), dict(filter_width=9, pool="max"),
    dict(filter_width=12, both_strands=True), dict(filter_width=7, both_strands=True, pool="max"),
]


@pytest.mark.parametrize("kw", CONFIGS)
@pytest.mark.parametrize("stride", [1, 7, 50, 63])
def test_chunk_logits_equal_per_window_passes(kw, stride):
    model = _deepbind(**kw)
    trunk = conv_pool_of(model)
    assert trunk is not None
    length, n = 50, 9
    gen = torch.Generator().manual_seed(stride)
    tok = torch.randint(0, 5, ((n - 1) * stride + length,), generator=gen)  # 4 = N
    x = one_hot_torch(tok, 4)
    with torch.no_grad():
        shared = trunk.chunk_logits(x, length, stride)
        windows = torch.stack([x[:, k * stride : k * stride + length] for k in range(n)])
        plain = model(windows)
    assert shared.shape == (n, 3)
    torch.testing.assert_close(shared, plain, atol=1e-5, rtol=1e-5)


def test_uniform_unknown_and_all_n_windows():
    model = _deepbind(filter_width=8)
    trunk = conv_pool_of(model)
    tok = torch.full((140,), 4)
    tok[60:] = torch.randint(0, 4, (80,), generator=torch.Generator().manual_seed(1))
    x = one_hot_torch(tok, 4, unknown_value=0.25)
    with torch.no_grad():
        shared = trunk.chunk_logits(x, 50, 10)
        plain = model(torch.stack([x[:, s : s + 50] for s in range(0, 91, 10)]))
    torch.testing.assert_close(shared, plain, atol=1e-5, rtol=1e-5)


def _brute_ism(model, tokens, target):
    out = np.zeros((len(tokens), 4, tokens.shape[1]), dtype=np.float64)
    with torch.no_grad():
        base = model(one_hot_torch(torch.as_tensor(tokens), 4))[:, target]
        for q, seq in enumerate(tokens):
            for i in range(len(seq)):
                if seq[i] >= 4:
                    continue
                mutants = np.repeat(seq[None], 4, axis=0)
                mutants[:, i] = np.arange(4)
                found = model(one_hot_torch(torch.as_tensor(mutants), 4))[:, target] - base[q]
                out[q, :, i] = found.numpy()
                out[q, seq[i], i] = 0.0
    return out


@pytest.mark.parametrize("kw", CONFIGS)
def test_incremental_ism_equals_full_passes(kw):
    from seqnet.kinds.sequence import SequenceInputs

    model = _deepbind(seed=2, **kw)
    rng = np.random.default_rng(0)
    tokens = rng.integers(0, 4, (3, 50)).astype(np.uint8)
    tokens[1, 10:14] = 4  # N: not mutated
    fast = incremental_ism(model, SequenceInputs(tokens, "dna"), target=2, batch_size=2)
    assert fast is not None and fast.n_outputs == 3
    np.testing.assert_allclose(fast.maps, _brute_ism(model, tokens, 2), atol=2e-5)
    assert (fast.maps[1, :, 10:14] == 0).all()


def test_attribution_ism_uses_the_fast_path_and_matches_the_fallback(monkeypatch):
    import seqnet.apply.trunk as trunk_mod
    from seqnet.attribution import in_silico_mutagenesis
    from seqnet.kinds.sequence import SequenceInputs

    model = _deepbind(seed=3, filter_width=9, both_strands=True)
    tokens = np.random.default_rng(1).integers(0, 5, (4, 50)).astype(np.uint8)
    inputs = SequenceInputs(tokens, "dna")
    fast = in_silico_mutagenesis(model, inputs, target=1)
    monkeypatch.setattr(trunk_mod, "conv_pool_of", lambda m: None)  # force full passes
    slow = in_silico_mutagenesis(model, inputs, target=1)
    np.testing.assert_allclose(fast, slow, atol=2e-5)


def test_ism_target_out_of_range_is_reported():
    from seqnet.attribution import in_silico_mutagenesis
    from seqnet.errors import ConfigError
    from seqnet.kinds.sequence import SequenceInputs

    model = _deepbind()
    with pytest.raises(ConfigError, match="target 5 out of range: the model has 3 outputs"):
        in_silico_mutagenesis(model, SequenceInputs(np.zeros((2, 50), np.uint8), "dna"), target=5)


@pytest.mark.parametrize("name,kw", [("dilated", dict(channels=8)), ("cnn_lstm", dict(lstm_hidden=4, hidden=4)),
                                     ("deepsea", dict(n_filters=[4, 4, 4]))])
def test_other_architectures_fall_back(name, kw):
    model = build_model(name, n_channels=4, length=64, n_outputs=1, **kw)
    assert conv_pool_of(model) is None


def test_unusual_convolution_falls_back():
    model = _deepbind()
    model.conv.dilation = (2,)
    assert conv_pool_of(model) is None


def test_segmented_valid_convolution_equals_one_pass():
    import torch.nn.functional as F

    from seqnet.apply.trunk import valid_conv

    gen = torch.Generator().manual_seed(0)
    x = one_hot_torch(torch.randint(0, 5, (5003,), generator=gen), 4)
    w, b = torch.randn(7, 4, 9, generator=gen), torch.randn(7, generator=gen)
    torch.testing.assert_close(valid_conv(x, w, b, segment=256), F.conv1d(x[None], w, b)[0], atol=1e-5, rtol=1e-5)


def test_long_chunk_through_segments_equals_per_window_passes():
    model = _deepbind(filter_width=11, both_strands=True)
    trunk = conv_pool_of(model)
    n, stride, length = 150, 17, 50
    tok = torch.randint(0, 5, ((n - 1) * stride + length,), generator=torch.Generator().manual_seed(2))
    x = one_hot_torch(tok, 4)
    with torch.no_grad():
        shared = trunk.chunk_logits(x, length, stride)
        plain = model(torch.stack([x[:, k * stride : k * stride + length] for k in range(n)]))
    torch.testing.assert_close(shared, plain, atol=1e-5, rtol=1e-5)


def test_batch_norm_is_folded_and_other_activations_fall_back():
    model = _deepbind(filter_width=9, batch_norm=True, both_strands=True)
    with torch.no_grad():
        model.bn.running_mean.uniform_(-1, 1)
        model.bn.running_var.uniform_(0.5, 2)
    trunk = conv_pool_of(model)
    assert trunk is not None
    tok = torch.randint(0, 5, (4 * 10 + 50,), generator=torch.Generator().manual_seed(5))
    x = one_hot_torch(tok, 4)
    with torch.no_grad():
        plain = model(torch.stack([x[:, s : s + 50] for s in range(0, 41, 10)]))
        torch.testing.assert_close(trunk.chunk_logits(x, 50, 10), plain, atol=1e-5, rtol=1e-5)
    assert conv_pool_of(_deepbind(filter_width=9, activation="gelu")) is None
