"""Metrics shaping and checkpoint save / load."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from seqnet import checkpoint as ckpt
from seqnet.alphabets import DNA
from seqnet.errors import InputError
from seqnet.metrics import classification_metrics, format_table
from seqnet.models import build_model


def test_binary_metrics_exact():
    y = np.array([[1], [0], [1], [0]], dtype=np.float32)
    p = np.array([[0.9], [0.1], [0.4], [0.6]])
    m = classification_metrics(y, p, "binary", ["TF"])
    assert m == {"split": "test", "n": 4, "auroc": {"TF": 0.75, "mean": 0.75},
                 "auprc": {"TF": pytest.approx(0.8333333), "mean": pytest.approx(0.8333333)}}


def test_multilabel_undefined_task_is_none():
    y = np.array([[1, 0], [0, 0], [1, 0]], dtype=np.float32)
    p = np.array([[0.8, 0.2], [0.3, 0.1], [0.6, 0.5]])
    m = classification_metrics(y, p, "multilabel", ["a", "b"])
    assert m["auroc"] == {"a": 1.0, "b": None, "mean": 1.0}


def test_multiclass_metrics():
    y = np.array([0, 1, 2, 2])
    p = np.array([[0.7, 0.2, 0.1], [0.1, 0.8, 0.1], [0.2, 0.2, 0.6], [0.5, 0.1, 0.4]])
    m = classification_metrics(y, p, "multiclass", ["x", "y", "z"])
    assert m["accuracy"] == 0.75
    assert set(m["auroc"]) == {"x", "y", "z", "mean"}
    assert m["auroc"]["y"] == 1.0
    table = format_table(m)
    assert "accuracy = 0.7500" in table and table.splitlines()[0].split() == ["task", "AUROC", "AUPRC"]


def test_checkpoint_round_trip(tmp_path):
    torch.manual_seed(0)
    args = dict(n_channels=4, length=30, n_outputs=2, n_filters=5, filter_width=7)
    model = build_model("deepbind", **args).eval()
    c = ckpt.make_checkpoint(model, name="deepbind", model_args=args, alphabet=DNA, length=30,
                             task_type="multilabel", names=["a", "b"], preprocess={"unknown": "zeros"},
                             config={"seed": 1})
    ckpt.save(tmp_path / "model.pt", c)
    tm = ckpt.load(tmp_path)  # a run directory works as well as the file
    x = torch.rand(3, 4, 30)
    torch.testing.assert_close(tm.model(x), model(x))
    assert (tm.names, tm.length, tm.task_type, tm.alphabet, tm.config) == (["a", "b"], 30, "multilabel", DNA, {"seed": 1})
    # a plain dict of tensors and primitives: loads without unpickling arbitrary objects
    raw = torch.load(tmp_path / "model.pt", weights_only=True)
    assert raw["format"] == "seqnet-checkpoint" and raw["model"] == "deepbind"


def test_checkpoint_errors(tmp_path):
    torch.save({"hello": 1}, tmp_path / "other.pt")
    with pytest.raises(InputError, match="other.pt: not a seqnet checkpoint"):
        ckpt.load(tmp_path / "other.pt")
    torch.save({"format": "seqnet-checkpoint", "format_version": 99}, tmp_path / "future.pt")
    with pytest.raises(InputError, match="checkpoint format 99 is newer"):
        ckpt.load(tmp_path / "future.pt")
