"""Saliency, in-silico mutagenesis and DeepLIFT/SHAP maps (seqnet.attribution)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch
import torch.nn as nn

from seqnet.alphabets import DNA
from seqnet.attribution import deep_lift_shap, deeplift_ready, in_silico_mutagenesis, saliency, write_attributions
from seqnet.encode import center_fit, encode, one_hot
from seqnet.errors import ConfigError, InputError
from seqnet.models import build_model
from seqnet.inference import logits
from seqnet.kinds.sequence import SequenceInputs

N_TOKEN = DNA.unknown


class LinearConv(nn.Module):
    """Logits = sum over positions of a 'same'-padded convolution: linear in the input."""

    def __init__(self, n_outputs: int = 2, width: int = 5) -> None:
        super().__init__()
        self.conv = nn.Conv1d(4, n_outputs, width, padding=width // 2)

    @property
    def first_conv(self) -> nn.Conv1d:
        return self.conv

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv(x).sum(dim=-1)


def linear_gradient(model: LinearConv, target: int, length: int) -> np.ndarray:
    """``(C, L)``: d logit / d x[c, p] = sum of the weights of the taps that read p."""
    w = model.conv.weight[target].detach().double().numpy()  # (C, W)
    width = w.shape[1]
    left = width // 2
    grad = np.zeros((4, length))
    for j in range(length):  # output position j reads inputs j - left + i
        for i in range(width):
            p = j - left + i
            if 0 <= p < length:
                grad[:, p] += w[:, i]
    return grad


@pytest.fixture(scope="module")
def linear():
    torch.manual_seed(0)
    model = LinearConv().eval()
    rng = np.random.default_rng(0)
    tok = rng.integers(0, 4, size=(6, 20)).astype(np.uint8)
    tok[1, 5:8] = N_TOKEN  # a few N
    tok[2] = N_TOKEN  # all N
    return model, tok


def test_saliency_of_a_linear_model_is_weights_times_input(linear):
    model, tok = linear
    for target in (0, 1):
        sal = saliency(model, SequenceInputs(tok, "dna"), target=target)
        assert sal.shape == (6, 4, 20) and sal.dtype == np.float32
        grad = linear_gradient(model, target, 20)
        expected = grad[None] * one_hot(tok, "dna")  # N columns are all-zero
        np.testing.assert_allclose(sal, expected, rtol=1e-5, atol=1e-6)
    assert np.all(sal[2] == 0) and np.all(sal[1][:, 5:8] == 0)
    # Non-zero only at the observed letter.
    assert np.all((sal != 0).sum(axis=1) <= 1)


def test_ism_of_a_linear_model_is_the_analytic_difference(linear):
    model, tok = linear
    ism = in_silico_mutagenesis(model, SequenceInputs(tok, "dna"), target=1, batch_size=7)
    grad = linear_gradient(model, 1, 20)
    x = one_hot(tok, "dna")
    observed = (grad[None] * x).sum(axis=1, keepdims=True)  # gradient at the observed letter
    expected = (grad[None] - observed) * (tok < 4)[:, None, :]
    np.testing.assert_allclose(ism, expected, rtol=1e-4, atol=1e-4)
    assert np.all(ism[x == 1] == 0)  # the observed letter
    assert np.all(ism[2] == 0) and np.all(ism[1][:, 5:8] == 0)  # N positions


def test_uniform_unknown_still_zero_at_n(linear):
    model, tok = linear
    sal = saliency(model, SequenceInputs(tok, "dna", unknown="uniform"))
    assert np.all(sal[2] == 0) and np.all(sal[1][:, 5:8] == 0)
    ism = in_silico_mutagenesis(model, SequenceInputs(tok, "dna", unknown="uniform"))
    assert np.all(ism[2] == 0)


@pytest.fixture(scope="module")
def deepbind():
    torch.manual_seed(1)
    model = build_model("deepbind", n_channels=4, n_outputs=2, n_filters=4, filter_width=5,
                        hidden=6, dropout=0.3).eval()
    rng = np.random.default_rng(1)
    return model, rng.integers(0, 4, size=(9, 16)).astype(np.uint8)


def test_ism_matches_brute_force_on_a_nonlinear_model(deepbind):
    model, tok = deepbind
    ism = in_silico_mutagenesis(model, SequenceInputs(tok[:2], "dna"), target=1)
    ref = logits(model, SequenceInputs(tok[:2], DNA))[:, 1].numpy()
    for i, p, c in [(0, 0, 2), (0, 7, 1), (1, 15, 0), (1, 3, 3)]:
        mutant = tok[i : i + 1].copy()
        if mutant[0, p] == c:
            assert ism[i, c, p] == 0
            continue
        mutant[0, p] = c
        delta = logits(model, SequenceInputs(mutant, DNA))[0, 1].item() - ref[i]
        assert ism[i, c, p] == pytest.approx(delta, abs=1e-5)


def test_batch_size_independence(deepbind):
    model, tok = deepbind
    np.testing.assert_allclose(saliency(model, SequenceInputs(tok, "dna"), batch_size=1),
                               saliency(model, SequenceInputs(tok, "dna"), batch_size=64), atol=1e-6)
    np.testing.assert_allclose(in_silico_mutagenesis(model, SequenceInputs(tok, "dna"), batch_size=5),
                               in_silico_mutagenesis(model, SequenceInputs(tok, "dna"), batch_size=256),
                               atol=1e-5)


def test_model_left_unchanged(deepbind):
    model, tok = deepbind
    before = {k: v.clone() for k, v in model.state_dict().items()}
    saliency(model, SequenceInputs(tok, "dna"))
    in_silico_mutagenesis(model, SequenceInputs(tok, "dna"))
    assert not model.training
    assert all(p.grad is None for p in model.parameters())
    for k, v in model.state_dict().items():
        assert torch.equal(v, before[k])
    model.train()
    try:
        a = saliency(model, SequenceInputs(tok, "dna"))  # dropout off inside: deterministic
        b = saliency(model, SequenceInputs(tok, "dna"))
        np.testing.assert_array_equal(a, b)
        assert model.training  # the caller's mode comes back
    finally:
        model.eval()


def test_masked_recurrent_model_ignores_padding():
    torch.manual_seed(2)
    model = build_model("lstm", n_channels=4, n_outputs=1, lstm_hidden=4, hidden=0).eval()
    seq = encode("ACGTTGCAGT")
    padded = center_fit(seq, 16, N_TOKEN)[None]
    start = (16 - 10) // 2
    lengths = np.array([10])
    alone_sal = saliency(model, SequenceInputs(seq[None], "dna"))
    pad_sal = saliency(model, SequenceInputs(padded, "dna", lengths=lengths))
    np.testing.assert_allclose(pad_sal[0, :, start : start + 10], alone_sal[0], atol=1e-5)
    assert np.all(pad_sal[0, :, :start] == 0) and np.all(pad_sal[0, :, start + 10 :] == 0)
    alone_ism = in_silico_mutagenesis(model, SequenceInputs(seq[None], "dna"))
    pad_ism = in_silico_mutagenesis(model, SequenceInputs(padded, "dna", lengths=lengths))
    np.testing.assert_allclose(pad_ism[0, :, start : start + 10], alone_ism[0], atol=1e-5)


def test_bad_arguments(linear):
    model, tok = linear
    with pytest.raises(ConfigError, match="target 2 out of range: the model has 2 outputs"):
        saliency(model, SequenceInputs(tok, "dna"), target=2)
    with pytest.raises(ConfigError, match="target 5 out of range"):
        in_silico_mutagenesis(model, SequenceInputs(tok, "dna"), target=5)
    with pytest.raises(ConfigError, match="batch_size"):
        saliency(model, SequenceInputs(tok, "dna"), batch_size=0)
    with pytest.raises(InputError, match=r"expected \(N, L\) token arrays"):
        saliency(model, SequenceInputs(tok[0], "dna"))
    with pytest.raises(InputError, match="lengths for"):
        in_silico_mutagenesis(model, SequenceInputs(tok, "dna", lengths=np.array([3])))
    assert saliency(model, SequenceInputs(tok[:0], "dna")).shape == (0, 4, 20)


def test_write_attributions(linear, tmp_path):
    model, tok = linear
    scores = {
        "saliency": saliency(model, SequenceInputs(tok, "dna")),
        "ism": in_silico_mutagenesis(model, SequenceInputs(tok, "dna")),
    }
    ids = [f"seq{i}" for i in range(len(tok))]
    out = write_attributions(tmp_path / "attr", ids, tok, scores, alphabet="dna")
    assert out["n"] == 6 and out["length"] == 20 and out["methods"] == ["saliency", "ism"]
    assert sorted(p.name for p in (tmp_path / "attr").iterdir()) == ["attributions.npz", "attributions.tsv"]

    with np.load(out["npz"]) as npz:
        assert list(npz["ids"]) == ids and str(npz["letters"]) == "ACGT"
        np.testing.assert_array_equal(npz["tokens"], tok)
        np.testing.assert_array_equal(npz["ism"], scores["ism"])

    table = pd.read_csv(out["tsv"], sep="\t")
    assert list(table.columns) == ["id", "position", "ref", "method", "score", "A", "C", "G", "T"]
    assert len(table) == 2 * 6 * 20
    sal = table[(table.method == "saliency") & (table.id == "seq0")]
    assert list(sal.position) == list(range(1, 21))
    assert "".join(sal.ref) == "".join("ACGT"[t] for t in tok[0])
    np.testing.assert_allclose(sal.score, scores["saliency"][0].sum(axis=0), rtol=1e-5, atol=1e-6)
    ism = table[(table.method == "ism") & (table.id == "seq1")]
    np.testing.assert_allclose(ism.score, -scores["ism"][1].sum(axis=0) / 3, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(ism[["A", "C", "G", "T"]].to_numpy(), scores["ism"][1].T, rtol=1e-5, atol=1e-6)
    assert set(table[table.id == "seq2"].ref) == {"N"} and (table[table.id == "seq2"].score == 0).all()

    with pytest.raises(InputError, match="map has shape"):
        write_attributions(tmp_path, ids, tok, {"ism": scores["ism"][:, :, :5]}, alphabet="dna")
    with pytest.raises(InputError, match="ids for tokens"):
        write_attributions(tmp_path, ids[:2], tok, scores, alphabet="dna")
    with pytest.raises(InputError, match="method name"):
        write_attributions(tmp_path, ids, tok, {"tokens": scores["ism"]}, alphabet="dna")


# -- DeepLIFT / SHAP ---------------------------------------------------------------------------


class Squared(nn.Module):
    """A model with an operation DeepLIFT has no rule for (an elementwise square)."""

    def __init__(self) -> None:
        super().__init__()
        torch.manual_seed(4)
        self.conv = nn.Conv1d(4, 3, 5, padding=2)

    def forward(self, x):
        h = self.conv(x)
        return (h * h).mean(dim=-1)


@pytest.mark.parametrize("both_strands", [False, True])
def test_deeplift_ready_rewrites_functional_steps_and_computes_the_same(both_strands):
    torch.manual_seed(3)
    model = build_model("deepbind", n_channels=4, n_outputs=2, n_filters=4, filter_width=5, hidden=6,
                        both_strands=both_strands).eval()
    x = torch.tensor(one_hot(np.random.default_rng(0).integers(0, 4, (5, 16)).astype(np.uint8), "dna"))
    net = deeplift_ready(model, x[:1])
    kinds = {type(m).__name__ for m in net.modules()}
    assert "MaxPool1d" in kinds and "ReLU" in kinds
    torch.testing.assert_close(net(x), model(x))
    assert not any(isinstance(m, nn.MaxPool1d) for m in model.modules())  # the model itself is unchanged


@pytest.mark.parametrize("both_strands", [False, True])
def test_deep_lift_shap_adds_up_to_the_prediction_difference(both_strands):
    torch.manual_seed(3)
    model = build_model("deepbind", n_channels=4, n_outputs=2, n_filters=4, filter_width=5, hidden=6,
                        both_strands=both_strands).eval()
    tok = np.random.default_rng(2).integers(0, 4, size=(7, 24)).astype(np.uint8)
    tok[3, 4:7] = N_TOKEN
    before = {k: v.clone() for k, v in model.state_dict().items()}
    res = deep_lift_shap(model, SequenceInputs(tok, "dna"), target=1, n_shuffles=4, seed=1, batch_size=5)
    assert res.attributions.shape == res.hypothetical.shape == (7, 4, 24)
    assert np.all((res.attributions != 0).sum(axis=1) <= 1)  # observed letters only
    assert np.all(res.attributions[3][:, 4:7] == 0)
    full = np.delete(np.arange(7), 3)  # the record with N loses the N positions' share
    assert res.deltas[full].max() < 1e-4
    again = deep_lift_shap(model, SequenceInputs(tok, "dna"), target=1, n_shuffles=4, seed=1, batch_size=64)
    np.testing.assert_allclose(again.attributions, res.attributions, atol=1e-5)  # batch size independent
    for k, v in model.state_dict().items():
        assert torch.equal(v, before[k])
    assert not any(hasattr(m, "_NON_LINEAR_OPS") for m in model.modules())


def test_deep_lift_shap_reports_maps_that_do_not_add_up():
    tok = np.random.default_rng(5).integers(0, 4, size=(6, 20)).astype(np.uint8)
    res = deep_lift_shap(Squared().eval(), SequenceInputs(tok, "dna"), target=0, n_shuffles=3)
    assert not res.converged and res.worst_delta > 1e-3


def test_deep_lift_shap_errors(deepbind):
    model, tok = deepbind
    with pytest.raises(ConfigError, match="n_shuffles must be an integer >= 1"):
        deep_lift_shap(model, SequenceInputs(tok, "dna"), n_shuffles=0)
    with pytest.raises(ConfigError, match="target 3 out of range"):
        deep_lift_shap(model, SequenceInputs(tok, "dna"), target=3, n_shuffles=2)
    empty = deep_lift_shap(model, SequenceInputs(tok[:0], "dna"), n_shuffles=2)
    assert empty.attributions.shape == (0, 4, 16) and empty.worst_delta == 0.0
