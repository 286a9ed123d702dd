"""Array data sets: feature tables, regression labels, ArraySet splits, standardisation,
regression metrics, and fit() on float arrays."""

from __future__ import annotations

import re

import numpy as np
import pytest
import torch

from conftest import write
from seqnet import kinds
from seqnet.datasets import ArraySet, split_indices
from seqnet.errors import ConfigError, InputError
from seqnet.io.tables import read_features, read_labels
from seqnet.metrics import format_table, regression_metrics, score
from seqnet.training import TrainSettings


def fit_standardizer(data: ArraySet) -> dict:
    return kinds.of(data).fit_standardizer(data)


def standardize(x: np.ndarray, kind: str, stats: dict) -> np.ndarray:
    return kinds.get(kind).apply_standardizer(x, stats)


def test_read_features(tmp_path):
    path = write(tmp_path / "f.csv", "sample,a,b\ns1,1,2.5\ns2,-3,1e2\n")
    f = read_features(path)
    assert f.ids == ["s1", "s2"] and f.names == ["a", "b"] and f.x.dtype == np.float32
    np.testing.assert_array_equal(f.x, [[1, 2.5], [-3, 100]])
    g = read_features(write(tmp_path / "g.tsv", "id\tnote\tb\ta\nx\thello\t2\t1\n"), columns=["a", "b"])
    assert g.names == ["a", "b"] and g.x.tolist() == [[1, 2]]


@pytest.mark.parametrize(
    "text, message",
    [
        ("id\ta\nx\t1\ny\tinf\n", "line 3, column 'a': expected a number, found 'inf'"),
        ("id\ta\nx\t1\ny\tNA\n", "line 3, column 'a': expected a number, found 'NA' (missing values are not allowed here)"),
        ("id\n", "expected an id column and at least one feature column, found 1 column"),
        ("id\ta\n", "no data rows below the header"),
        ("id\ta\nx\t1\nx\t2\n", "duplicate id 'x' (lines 2 and 3)"),
    ],
)
def test_read_features_errors(tmp_path, text, message):
    path = write(tmp_path / "f.tsv", text)
    with pytest.raises(InputError, match=re.escape(f"{path}: {message}")):
        read_features(path)


def test_labels_regression_auto_and_forced(tmp_path):
    path = write(tmp_path / "l.tsv", "id\tkd\na\t0.25\nb\t3\nc\t-1.5\n")
    lab = read_labels(path, ["c", "a", "b"])
    assert lab.task_type == "regression" and lab.names == ["kd"] and lab.y.dtype == np.float32
    np.testing.assert_array_equal(lab.y[:, 0], [-1.5, 0.25, 3])
    ints = write(tmp_path / "i.tsv", "id\tcount\tother\na\t2\t0\nb\t5\t1\n")
    with pytest.raises(InputError, match=re.escape("line 2, column 'count': expected 0 or 1, found '2'")):
        read_labels(ints, ["a", "b"])
    assert read_labels(ints, ["a", "b"], task="regression").task_type == "regression"
    # issue 12: numbers with fractions are never class names, even when classification is asked for
    with pytest.raises(InputError, match=re.escape("line 2, column 'kd': expected a class label (a name or a whole "
                                                   "number), found '0.25'; numeric targets need task regression")):
        read_labels(path, ["a", "b", "c"], task="classification")


def test_labels_allow_unlabelled(tmp_path):
    path = write(tmp_path / "l.tsv", "id\tphase\nc\tS\na\tG1\n")
    lab = read_labels(path, ["a", "b", "c", "d"], allow_unlabelled=True)
    np.testing.assert_array_equal(lab.index, [0, 2])
    assert lab.names == ["G1", "S"] and lab.y.tolist() == [0, 1]
    with pytest.raises(InputError, match="2 of 4 FASTA records have no label"):
        read_labels(path, ["a", "b", "c", "d"])


def _classes(n=100, seed=0):
    rng = np.random.default_rng(seed)
    y = np.repeat(np.arange(4), [50, 30, 15, 5])[:n]
    return ArraySet(ids=[f"s{i}" for i in range(n)], x=rng.normal(size=(n, 3)).astype(np.float32), y=y,
                    task_type="multiclass", names=["a", "b", "c", "d"], kind="table",
                    preprocess={"standardize": "feature"})


def test_stratified_split_keeps_class_proportions():
    data = _classes()
    splits = split_indices(data, valid_fraction=0.1, test_fraction=0.2, seed=3, stratify=True)
    assert sorted(np.concatenate(list(splits.values()))) == list(range(100))
    counts = {k: np.bincount(data.y[v], minlength=4).tolist() for k, v in splits.items()}
    assert counts["test"] == [10, 6, 3, 1] and counts["valid"] == [5, 3, 2, 0]  # round(0.1 * 15) = 2
    again = split_indices(data, valid_fraction=0.1, test_fraction=0.2, seed=3, stratify=True)
    assert all(np.array_equal(splits[k], again[k]) for k in splits)
    sub = data.subset(splits["test"])
    assert len(sub) == 20 and sub.x.shape == (20, 3) and sub.ids[0] == data.ids[splits["test"][0]]


def test_standardizer_uses_training_statistics():
    data = _classes()
    data.x = data.x * [1, 10, 100] + [0, 5, -5]
    train = data.subset(np.arange(60))
    stats = fit_standardizer(train)
    z = standardize(train.x, "table", stats)
    np.testing.assert_allclose(z.mean(0), 0, atol=1e-5)
    np.testing.assert_allclose(z.std(0), 1, atol=1e-5)
    images = ArraySet(ids=["0", "1"], x=np.array([[[[0, 2]], [[10, 10]]], [[[4, 6]], [[10, 10]]]], np.float32),
                      y=np.array([0, 1]), task_type="multiclass", names=["a", "b"], kind="image",
                      preprocess={"standardize": "channel"})
    stats = fit_standardizer(images)
    assert stats == {"mean": [3.0, 10.0], "std": [pytest.approx(2.236068), 1.0]}  # a constant channel keeps sd 1
    assert fit_standardizer(ArraySet(ids=["0"], x=np.ones((1, 2), np.float32), y=np.zeros(1), task_type="regression",
                                     names=["v"], kind="table", preprocess={"standardize": "none"})) == {}


def test_regression_metrics_exact():
    y = np.array([[1.0, 0], [2, 1], [3, 1], [4, 1]])
    p = np.array([[1.5, 0], [2.5, 0], [2.5, 0], [4.5, 0]])
    m = regression_metrics(y, p, ["a", "b"])
    assert m["n"] == 4 and m["pearson"]["a"] == pytest.approx(0.9233805169)
    assert m["spearman"]["a"] == pytest.approx(0.9486832981)
    assert m["mse"]["a"] == pytest.approx(0.25) and m["mse"]["b"] == pytest.approx(0.75)
    assert m["pearson"]["b"] is None and m["pearson"]["mean"] == m["pearson"]["a"]  # constant prediction: undefined
    assert score(y, p, "regression", ["a", "b"]) == m
    assert "Pearson" in format_table(m) and "mean" in format_table(m)


def test_fit_on_arrays_regression_and_monitor_accuracy():
    from seqnet.models import build_model
    from seqnet.training import fit

    rng = np.random.default_rng(0)
    x = rng.normal(size=(120, 5)).astype(np.float32)
    w = np.array([1.0, -2.0, 0.5, 0, 0], np.float32)
    data = ArraySet(ids=[str(i) for i in range(120)], x=x, y=(x @ w)[:, None].astype(np.float32),
                    task_type="regression", names=["v"], kind="table")
    torch.manual_seed(0)
    model = build_model("softmax", "table", input_shape=[5], n_outputs=1)
    result = fit(model, data.subset(np.arange(100)), data.subset(np.arange(100, 120)), TrainSettings(epochs=60, batch_size=16, lr=0.05, patience=60, monitor="auroc", seed=0))  # auroc is undefined for regression: loss decides
    losses = [r["valid_loss"] for r in result.history]
    assert min(losses) < 0.01 and result.best_epoch == int(np.argmin(losses)) + 1
    assert set(result.history[0]) == {"epoch", "train_loss", "valid_loss", "valid_pearson", "lr", "seconds"}
    with pytest.raises(ConfigError, match="monitor 'accuracy' needs a multi-class task; this one is regression"):
        fit(model, data, None, TrainSettings(epochs=1, batch_size=8, lr=0.01, monitor="accuracy"))
    with pytest.raises(ConfigError, match="reverse-complement augmentation applies to sequences, not table input"):
        fit(model, data, None, TrainSettings(epochs=1, batch_size=8, lr=0.01, rc_augment=True))


def test_real_yeast_and_mnist_load(shared_data):
    from seqnet.kinds.image import load_images
    from seqnet.kinds.timeseries import load_timeseries

    d = shared_data / "yeast_cell_cycle"
    ts = load_timeseries(d / "spellman1998_log_ratios.tsv.gz", d / "conditions.tsv", d / "phase_labels.tsv")
    assert ts.x.shape == (799, 24, 4) and ts.mask.shape == ts.x.shape
    assert ts.names == ["G1", "G2/M", "M/G1", "S", "S/G2"] and np.bincount(ts.y).tolist() == [299, 195, 113, 71, 121]
    assert ts.preprocess["grid"]["series"] == ["alpha", "cdc15", "cdc28", "elu"]
    assert any("5379 of 6178 rows" in n for n in ts.notes) and any("cln3, clb2" in n for n in ts.notes)
    assert 0.9 < ts.mask.mean() < 1  # a few percent of the grid is unobserved
    im = load_images(shared_data / "mnist" / "mnist_5k.csv.gz")
    assert im.x.shape == (5000, 1, 28, 28) and im.names == [str(d) for d in range(10)]
    assert np.bincount(im.y).tolist() == [500] * 10 and im.x.max() == 255


@pytest.mark.gpu
def test_fit_arrays_on_cuda_with_bf16_autocast():
    from seqnet.inference import predict
    from seqnet.kinds.arrays import ArrayInputs
    from seqnet.models import build_model
    from seqnet.training import fit

    rng = np.random.default_rng(0)
    x = rng.normal(size=(200, 8, 2)).astype(np.float32)
    y = (x[:, :4, 0].mean(1) > 0).astype(np.int64)
    data = ArraySet(ids=[str(i) for i in range(200)], x=x, y=y, task_type="multiclass", names=["a", "b"],
                    kind="timeseries", mask=np.ones_like(x, dtype=bool))
    for name in ("lstm", "cnn"):
        model = build_model(name, "timeseries", input_shape=[8, 2], n_outputs=2, with_mask=True).cuda()
        result = fit(model, data.subset(np.arange(160)), data.subset(np.arange(160, 200)), TrainSettings(epochs=15, batch_size=16, lr=0.01, patience=15, monitor="accuracy", seed=0, device="cuda"))
        assert max(r["valid_accuracy"] for r in result.history) > 0.8
        prob = predict(model, ArrayInputs(x, data.mask), task_type="multiclass", device="cuda")
        assert prob.shape == (200, 2)
