"""fit() and train_run(): learning, early stopping, determinism, failure handling."""

from __future__ import annotations

import json
from collections import Counter

import numpy as np
import pytest
import torch

from seqnet import config as config_mod
from seqnet.alphabets import DNA, PROTEIN
from seqnet.datasets import SequenceSet
from seqnet.kinds.sequence import SequenceInputs
from seqnet.kinds.sequence_loaders import load_positives_negatives
from seqnet.models import build_model
from seqnet.training import TrainingError, TrainSettings, fit, train_run


def _planted(n=200, length=40, seed=0, alphabet=DNA):
    """Half the records carry the token pattern 0,1,2,3,0,1 at a random place."""
    rng = np.random.default_rng(seed)
    tokens = rng.integers(0, alphabet.size, size=(n, length)).astype(np.uint8)
    y = (np.arange(n) % 2 == 0).astype(np.float32)[:, None]
    motif = np.array([0, 1, 2, 3, 0, 1, 2, 3], dtype=np.uint8)
    for i in np.flatnonzero(y[:, 0]):
        p = rng.integers(0, length - len(motif))
        tokens[i, p : p + len(motif)] = motif
    return SequenceSet(ids=[f"s{i}" for i in range(n)], tokens=tokens, y=y, task_type="binary", names=["t"],
                       alphabet=alphabet, groups=np.arange(n))


def _model(alphabet=DNA, seed=0, **kw):
    torch.manual_seed(seed)
    args = dict(n_channels=alphabet.size, n_outputs=1, n_filters=8, filter_width=8, hidden=0, dropout=0.0)
    args.update(kw)
    return build_model("deepbind", **args)


def test_fit_learns_and_keeps_best_epoch():
    data = _planted()
    train, valid = data.subset(np.arange(160)), data.subset(np.arange(160, 200))
    model = _model()
    result = fit(model, train, valid, TrainSettings(epochs=8, batch_size=16, lr=0.02, patience=10, seed=0))
    aurocs = [r["valid_auroc"] for r in result.history]
    assert max(aurocs) > 0.9
    assert result.best_epoch == int(np.argmax(aurocs)) + 1  # first epoch reaching the maximum
    # The weights kept are those of the best epoch: recompute its validation AUROC.
    from seqnet.metrics import classification_metrics
    from seqnet.inference import predict

    prob = predict(model, SequenceInputs(valid.tokens, DNA), task_type="binary")
    assert classification_metrics(valid.y, prob, "binary", ["t"])["auroc"]["mean"] == pytest.approx(max(aurocs))


def test_fit_early_stopping():
    data = _planted(n=60)
    train, valid = data.subset(np.arange(40)), data.subset(np.arange(40, 60))
    # A learning rate this small leaves the validation AUROC flat: patience 1 stops after 2 more epochs.
    result = fit(_model(), train, valid, TrainSettings(epochs=50, batch_size=8, lr=1e-9, patience=1, seed=0))
    assert result.stopped_early and len(result.history) == result.best_epoch + 2


def test_fit_monitor_loss_keeps_lowest_loss():
    data = _planted(n=80)
    train, valid = data.subset(np.arange(60)), data.subset(np.arange(60, 80))
    result = fit(_model(), train, valid, TrainSettings(epochs=6, batch_size=8, lr=0.05, patience=10, monitor="loss", seed=0))
    losses = [r["valid_loss"] for r in result.history]
    assert result.best_epoch == int(np.argmin(losses)) + 1


def test_fit_without_validation_runs_all_epochs():
    data = _planted(n=40)
    result = fit(_model(), data, None, TrainSettings(epochs=3, batch_size=8, lr=1e-3))
    assert len(result.history) == 3 and result.best_epoch == 3
    assert result.history[0]["valid_auroc"] is None


def test_fit_is_deterministic():
    data = _planted(n=80)
    runs = []
    for _ in range(2):
        model = _model(seed=5)
        torch.manual_seed(5)
        fit(model, data.subset(np.arange(60)), data.subset(np.arange(60, 80)), TrainSettings(epochs=2, batch_size=8, lr=1e-2, rc_augment=True, seed=3))
        runs.append(torch.cat([p.flatten() for p in model.parameters()]))
    assert torch.equal(runs[0], runs[1])


def test_fit_diverging_loss_raises(flag_spelling):
    data = _planted(n=40)
    model = _model()
    with torch.no_grad():
        model.conv.weight.fill_(float("nan"))
    with pytest.raises(TrainingError, match="training diverged at epoch 1: the loss is nan; try a lower --lr"):
        fit(model, data, None, TrainSettings(epochs=2, batch_size=8, lr=1e-3))


def test_fit_multiclass_and_protein():
    rng = np.random.default_rng(0)
    n = 90
    tokens = rng.integers(0, PROTEIN.size, size=(n, 30)).astype(np.uint8)
    y = np.arange(n) % 3
    for i in range(n):  # class k: residue k repeated at the start
        tokens[i, :6] = y[i]
    data = SequenceSet(ids=[str(i) for i in range(n)], tokens=tokens, y=y.astype(np.int64), task_type="multiclass",
                       names=["a", "b", "c"], alphabet=PROTEIN, groups=np.arange(n))
    model = _model(PROTEIN, n_outputs=3)
    result = fit(model, data.subset(np.arange(70)), data.subset(np.arange(70, 90)), TrainSettings(epochs=10, batch_size=10, lr=0.03, rc_augment=True, seed=0))  # rc_augment silently off for protein
    assert max(r["valid_auroc"] for r in result.history) > 0.9


def test_train_run_failure_leaves_nothing(tmp_path, monkeypatch):
    data = _planted(n=40)
    cfg = config_mod.resolve(overrides={"train": {"epochs": 1}, "model_args": {"n_filters": 4}})

    def boom(*a, **k):
        raise TrainingError("stop here")

    monkeypatch.setattr("seqnet.training.run.fit", boom)
    with pytest.raises(TrainingError):
        train_run(data, cfg, tmp_path / "run", quiet=True)
    assert list(tmp_path.iterdir()) == []


def test_train_run_overwrite(tmp_path):
    data = _planted(n=60)
    cfg = config_mod.resolve(overrides={"train": {"epochs": 1}, "model_args": {"n_filters": 4, "hidden": 0}})
    out = tmp_path / "run"
    m1 = train_run(data, cfg, out, quiet=True)
    (out / "extra.txt").write_text("old")
    m2 = train_run(data, cfg, out, quiet=True, overwrite=True)
    assert m1 == m2 and not (out / "extra.txt").exists()
    assert json.loads((out / "metrics.json").read_text()) == m2


def test_train_run_without_test_split(tmp_path):
    data = _planted(n=60)
    cfg = config_mod.resolve(overrides={"train": {"epochs": 1}, "data": {"test_fraction": 0.0},
                                        "model_args": {"n_filters": 4}})
    metrics = train_run(data, cfg, tmp_path / "run", quiet=True)
    assert metrics == {"split": "test", "n": 0, "auroc": {"t": None, "mean": None}, "auprc": {"t": None, "mean": None}}


def test_shuffled_negatives_stay_with_their_positive(tmp_path):
    from seqnet.datasets import split_indices

    fa = tmp_path / "p.fa"
    rng = np.random.default_rng(0)
    fa.write_text("".join(f">r{i}\n{''.join(rng.choice(list('ACGT'), 30))}\n" for i in range(50)))
    data = load_positives_negatives(fa, "shuffle", seed=0)
    assert len(data) == 100 and data.ids[50] == "r0_shuf"
    splits = split_indices(data, valid_fraction=0.2, test_fraction=0.2, seed=0)
    for part in splits.values():
        ids = {data.ids[i].removesuffix("_shuf") for i in part}
        assert len(ids) * 2 == len(part)
    assert sorted(np.concatenate(list(splits.values()))) == list(range(100))
    assert len(splits["test"]) == 20 and len(splits["valid"]) == 20


@pytest.mark.gpu
def test_fit_on_cuda_with_bf16_autocast():
    data = _planted(n=200)
    model = _model().cuda()
    result = fit(model, data.subset(np.arange(160)), data.subset(np.arange(160, 200)), TrainSettings(epochs=8, batch_size=16, lr=0.02, rc_augment=True, seed=0, device="cuda"))
    assert max(r["valid_auroc"] for r in result.history) > 0.9
    assert next(model.parameters()).device.type == "cuda"


@pytest.mark.gpu
def test_fit_on_cuda_with_tokens_left_in_pinned_host_memory(monkeypatch):
    import seqnet.kinds.base as base_mod

    monkeypatch.setattr(base_mod, "fits_on_device", lambda t, device, share=0.25: False)
    data = _planted(n=200)
    model = _model().cuda()
    result = fit(model, data.subset(np.arange(160)), data.subset(np.arange(160, 200)), TrainSettings(epochs=8, batch_size=16, lr=0.02, rc_augment=True, seed=0, device="cuda"))
    assert max(r["valid_auroc"] for r in result.history) > 0.9


class _MaskSpy(torch.nn.Module):
    """Records the masks it is given; its output is the masked count of channel-0 letters."""

    takes_mask = True

    def __init__(self):
        super().__init__()
        self.w = torch.nn.Parameter(torch.ones(1))
        self.masks = []

    def forward(self, x, mask=None):
        self.masks.append(None if mask is None else mask.clone())
        m = torch.ones(x.shape[0], x.shape[2]) if mask is None else mask.float()
        return (x[:, 0, :] * m).sum(1, keepdim=True) * self.w


def test_padding_mask_reaches_masking_models_and_follows_rc_flips():
    from seqnet.encode import encode
    from seqnet.inference import logits
    from seqnet.kinds.sequence_loaders import fit_lengths, real_lengths

    seqs = ["ACGTA", "AAAAAAAA", "CC"]
    toks = [encode(s) for s in seqs]
    tokens = fit_lengths(toks, 8, DNA.unknown)
    lengths = real_lengths(toks, 8)
    np.testing.assert_array_equal(lengths, [5, 8, 2])
    spy = _MaskSpy()
    out = logits(spy, SequenceInputs(tokens, DNA, lengths=lengths))
    torch.testing.assert_close(out[:, 0], torch.tensor([2.0, 8.0, 0.0]))
    np.testing.assert_array_equal(spy.masks[0].sum(1).numpy(), [5, 8, 2])
    # reverse complement: the mask flips with the tokens (count of A in the rc = count of T)
    out_rc = logits(spy, SequenceInputs(tokens, DNA, lengths=lengths, reverse_complement=True))
    torch.testing.assert_close(out_rc[:, 0], torch.tensor([1.0, 0.0, 0.0]))
    np.testing.assert_array_equal(spy.masks[-1].numpy(), np.flip(spy.masks[0].numpy(), 1))
    # training passes masks too, flipped for the reverse-complemented half of each batch
    data = SequenceSet(ids=["a", "b", "c"], tokens=tokens, y=np.array([[1], [0], [1]], np.float32), task_type="binary",
                       names=["t"], alphabet=DNA, groups=np.arange(3), lengths=lengths)
    spy.masks.clear()
    fit(spy, data, None, TrainSettings(epochs=3, batch_size=3, lr=1e-3, rc_augment=True, seed=0))
    sums = [m.sum(1).tolist() for m in spy.masks]
    assert all(sorted(s) == [2, 5, 8] for s in sums)
    # the length-5 record sits at 1..5 (padding's odd base goes right); flipped it sits at 2..6
    starts = {int(torch.nonzero(row)[0]) for m in spy.masks for row in m if int(row.sum()) == 5}
    assert starts == {1, 2}


def test_reshuffle_redraws_shuffled_negatives_every_epoch():
    from seqnet.encode import dinucleotide_shuffle_many
    from seqnet.kinds.sequence import SequenceFeed

    pos = _planted(n=40, length=30)
    neg_tokens = dinucleotide_shuffle_many(pos.tokens, seed=1)
    data = SequenceSet(ids=[f"s{i}" for i in range(80)], tokens=np.concatenate([pos.tokens, neg_tokens]),
                       y=np.r_[np.ones(40), np.zeros(40)].astype(np.float32)[:, None], task_type="binary",
                       names=["t"], alphabet=DNA, groups=np.r_[np.arange(40), np.arange(40)],
                       shuffled=np.arange(80) >= 40)
    seen = []
    real = SequenceFeed.draw

    def spy(self, gen):
        real(self, gen)
        seen.append(self.tokens.clone())

    SequenceFeed.draw = spy
    try:
        fit(_model(), data, None, TrainSettings(epochs=3, batch_size=16, lr=0.01, seed=0, reshuffle=True))
        first = list(seen)
        seen.clear()
        fit(_model(), data, None, TrainSettings(epochs=3, batch_size=16, lr=0.01, seed=0, reshuffle=True))
    finally:
        SequenceFeed.draw = real
    assert all(torch.equal(a, b) for a, b in zip(first, seen))  # seeded: the same draws
    for tokens in first:
        torch.testing.assert_close(tokens[:40], torch.as_tensor(pos.tokens))  # positives untouched
        for a, b in zip(neg_tokens.tolist(), tokens[40:].tolist()):
            assert Counter(zip(a[:-1], a[1:])) == Counter(zip(b[:-1], b[1:]))
    assert not torch.equal(first[0][40:], first[1][40:])  # fresh negatives each epoch
    np.testing.assert_array_equal(data.tokens[40:], neg_tokens)  # the data set itself is left alone
