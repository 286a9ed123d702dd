"""A value that does not fit the task is an error naming file, line and column, never a new
class; missing labels of a multi-label table may be masked out of the loss and the metrics."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest
import torch

from conftest import TINY, write
from seqnet.errors import InputError
from seqnet.io.tables import read_labels

IDS = [f"r{i}" for i in range(6)]


def _table(tmp_path, rows: list[str], header: str = "id\ty") -> str:
    return write(tmp_path / "l.tsv", header + "\n" + "".join(f"r{i}\t{r}\n" for i, r in enumerate(rows)))


@pytest.mark.parametrize("cell", ["NA", "n/d", "nan", "N/A", "?", "-", "null", "None"])
def test_a_missing_marker_in_a_01_column_is_no_class(tmp_path, cell):
    path = _table(tmp_path, ["0", "1", "0", cell, "1", "0"])
    with pytest.raises(InputError, match=re.escape(f"{path}: line 5, column 'y': missing label {cell!r}; expected 0 or 1")):
        read_labels(path, IDS)


def test_a_missing_marker_in_numbers_is_no_class(tmp_path):
    path = _table(tmp_path, ["0.5", "1.25", "3", "n/d", "2.5", "0.1"])
    with pytest.raises(InputError, match=re.escape("line 5, column 'y': missing label 'n/d'; expected a number")):
        read_labels(path, IDS)
    with pytest.raises(InputError, match=re.escape("line 5, column 'y': missing label 'n/d'; expected a number")):
        read_labels(path, IDS, task="regression")


def test_a_word_among_numbers_or_a_number_among_words_is_an_error(tmp_path):
    path = _table(tmp_path, ["0", "1", "0", "yes", "1", "0"])
    with pytest.raises(InputError, match=re.escape("line 5, column 'y': expected 0 or 1, found 'yes'")):
        read_labels(path, IDS)
    path = _table(tmp_path, ["2", "7", "3", "abc", "1", "0"])
    with pytest.raises(InputError, match=re.escape("line 5, column 'y': expected a number, found 'abc'")):
        read_labels(path, IDS)
    path = _table(tmp_path, ["G1", "S", "G1", "4", "M", "S"])
    with pytest.raises(InputError, match=re.escape("line 5, column 'y': expected a class name like the column's "
                                                   "other values, found '4'")):
        read_labels(path, IDS)


def test_a_fraction_with_classification_says_so(tmp_path):
    path = _table(tmp_path, ["0", "1", "0", "0.5", "1", "0"])
    with pytest.raises(InputError, match=re.escape("line 5, column 'y': expected a class label (a name or a whole "
                                                   "number), found '0.5'; numeric targets need task regression")):
        read_labels(path, IDS, task="classification")
    assert read_labels(path, IDS).task_type == "regression"  # auto: fractions are numbers


def test_class_names_and_whole_numbers_stay_classes(tmp_path):
    assert read_labels(_table(tmp_path, ["G1", "S", "G1", "M", "M", "S"]), IDS).names == ["G1", "M", "S"]
    lab = read_labels(_table(tmp_path, ["2", "7", "3", "3", "1", "0"]), IDS)
    assert lab.task_type == "multiclass" and lab.names == ["0", "1", "2", "3", "7"]


def test_multilabel_missing_cells_error_or_mask(tmp_path):
    path = _table(tmp_path, ["1\t0", "0\tNA", "1\t1", "n/d\t0", "0\t1", "1\t0"], header="id\ta\tb")
    with pytest.raises(InputError, match=re.escape("line 3, column 'b': missing label 'NA'; expected 0 or 1; or "
                                                   "missing_labels mask leaves missing cells of a multi-label table out")):
        read_labels(path, IDS)
    path = _table(tmp_path, ["1\t0", "0\tNA", "1\t1", "\t0", "0\t1", "1\t0"], header="id\ta\tb")
    lab = read_labels(path, IDS, missing="mask")  # an empty cell is missing too
    assert lab.task_type == "multilabel"
    np.testing.assert_array_equal(np.isnan(lab.y), [[0, 0], [0, 1], [0, 0], [1, 0], [0, 0], [0, 0]])
    single = _table(tmp_path, ["1", "NA", "0", "1", "0", "1"])
    with pytest.raises(InputError, match="missing label 'NA'; expected 0 or 1$"):
        read_labels(single, IDS, missing="mask")  # one column: a record without its only label has nothing to learn


def test_masked_loss_and_metrics_ignore_missing_cells():
    from seqnet.metrics import classification_metrics
    from seqnet.training.loop import loss_function

    logits = torch.tensor([[2.0, -1.0], [0.5, 3.0]])
    y = torch.tensor([[1.0, float("nan")], [0.0, 1.0]])
    masked = loss_function("multilabel", masked=True)(logits, y)
    plain = torch.nn.functional.binary_cross_entropy_with_logits(logits[~torch.isnan(y)], y[~torch.isnan(y)])
    torch.testing.assert_close(masked, plain)
    y = np.array([[1, np.nan], [0, 1], [1, 0], [np.nan, 1]], dtype=np.float32)
    prob = np.array([[0.9, 0.0], [0.2, 0.8], [0.7, 0.3], [0.9, 0.6]])
    m = classification_metrics(y, prob, "multilabel", ["a", "b"])
    assert m["auroc"]["a"] == 1.0 and m["auroc"]["b"] == 1.0  # the NaN rows would break either


def test_cli_na_in_labels_is_an_error_and_mask_trains(cli, sim, tmp_path, tiny_config):
    text = sim.labels_tsv.read_text().splitlines()
    text[3] = "\t".join(text[3].split("\t")[:-1] + ["NA"])
    labels = write(tmp_path / "labels.tsv", "\n".join(text) + "\n")
    out = tmp_path / "run"
    result = cli("train", "--fasta", sim.multilabel_fasta, "--labels", labels, "--config", tiny_config, "--out", out,
                 *TINY)
    assert result.exit_code == 1 and not out.exists()
    column = text[0].split("\t")[-1]
    assert result.stderr.strip() == (f"Error: {labels}: line 4, column {column!r}: missing label 'NA'; expected 0 or 1; "
                                     "or --missing-labels mask leaves missing cells of a multi-label table out")
    result = cli("train", "--fasta", sim.multilabel_fasta, "--labels", labels, "--config", tiny_config, "--out", out,
                 "--missing-labels", "mask", *TINY)
    assert result.exit_code == 0, result.output
    metrics = json.loads((out / "metrics.json").read_text())
    assert set(metrics["auroc"]) == {*text[0].split("\t")[1:], "mean"}
    assert "missing_labels: mask" in (out / "config.yaml").read_text()
    result = cli("evaluate", out, "--fasta", sim.multilabel_fasta, "--labels", labels, "--missing-labels", "mask")
    assert result.exit_code == 0, result.output
