"""Time series, feature tables and images through the command line: train, evaluate and
predict end to end on tiny data made here, and every user-reachable error path."""

from __future__ import annotations

import gzip
import json
import struct

import numpy as np
import pandas as pd
import pytest
import yaml

from conftest import write

QUIET = ["--epochs", "2", "--batch-size", "16", "--quiet"]


def _fails(result, *fragments):
    """One ``Error: ...`` line on stderr, exit status 1, no traceback."""
    assert result.exit_code == 1, result.output
    err = result.stderr.strip()
    assert err.startswith("Error: ") and "\n" not in err, err
    assert "Traceback" not in result.output
    for f in fragments:
        assert f in err, (f, err)


def _config(path, kind, model, **model_args):
    return write(path, yaml.safe_dump({"kind": kind, "model": model, "model_args": model_args}))


# ----------------------------------------------------------------------------- data


@pytest.fixture(scope="module")
def ts_files(tmp_path_factory):
    """72 genes, series a (6 times) and b (5 times) and a single array; 3 phase classes,
    labels for 60 genes; about 5 % missing values."""
    d = tmp_path_factory.mktemp("ts")
    rng = np.random.default_rng(0)
    times = {"a": np.arange(0, 60, 10), "b": np.arange(0, 75, 15), "x": np.array([5])}
    cols = [(f"{s}_{t}", s, t) for s, ts in times.items() for t in ts]
    phase = np.arange(72) % 3
    rows = []
    for g in range(72):
        vals = [np.sin(2 * np.pi * t / 60 + 2 * np.pi * phase[g] / 3) + 0.1 * rng.normal() for _, _, t in cols]
        cells = ["" if rng.random() < 0.05 else f"{v:.3f}" for v in vals]
        rows.append(f"g{g}\t" + "\t".join(cells) + "\n")
    expr = write(d / "expr.tsv", "gene\t" + "\t".join(c for c, _, _ in cols) + "\n" + "".join(rows))
    cond = write(d / "conditions.tsv", "condition\tseries\ttime\n" + "".join(f"{c}\t{s}\t{t}\n" for c, s, t in cols))
    names = ["early", "mid", "late"]
    labels = write(d / "labels.tsv", "gene\tphase\n" + "".join(f"g{g}\t{names[phase[g]]}\n" for g in range(60)))
    return expr, cond, labels


@pytest.fixture(scope="module")
def table_files(tmp_path_factory):
    d = tmp_path_factory.mktemp("table")
    rng = np.random.default_rng(1)
    x = rng.normal(size=(80, 4)) * [1, 10, 0.1, 1] + [0, 100, 0, 0]  # features on different scales
    z = (x - x.mean(0)) / x.std(0)
    cls = (z[:, :3] @ np.eye(3) + 0.1 * rng.normal(size=(80, 3))).argmax(1)
    table = pd.DataFrame(x, columns=["f1", "f2", "f3", "f4"])
    table.insert(0, "sample", [f"s{i}" for i in range(80)])
    feats = d / "features.tsv"
    table.to_csv(feats, sep="\t", index=False, float_format="%.5f")
    classes = write(d / "classes.tsv", "sample\ttype\n" + "".join(f"s{i}\tt{c}\n" for i, c in enumerate(cls)))
    y = 1.5 * z[:, 0] - z[:, 3] + 0.1 * rng.normal(size=80)
    values = write(d / "values.csv", "sample,score,other\n" + "".join(f"s{i},{v:.4f},{-v:.4f}\n" for i, v in enumerate(y)))
    return feats, classes, values


def _images(n=60, seed=2):
    rng = np.random.default_rng(seed)
    y = np.arange(n) % 3
    x = rng.integers(0, 60, size=(n, 12, 12))
    for i, c in enumerate(y):
        x[i, 4 * c : 4 * c + 4, 4:8] = 250
    return x.astype(np.uint8), y


def _idx(a):
    return struct.pack(">BBBB", 0, 0, 0x08, a.ndim) + b"".join(struct.pack(">I", d) for d in a.shape) + a.tobytes()


@pytest.fixture(scope="module")
def image_files(tmp_path_factory):
    d = tmp_path_factory.mktemp("images")
    x, y = _images()
    csv = d / "digits.csv.gz"
    csv.write_bytes(gzip.compress("".join(",".join(map(str, r)) + f",{c}\n" for r, c in zip(x.reshape(60, -1), y)).encode()))
    npz = d / "digits.npz"
    np.savez(npz, x=x, y=y)
    idx_x, idx_y = d / "images-idx3-ubyte", d / "labels-idx1-ubyte.gz"
    idx_x.write_bytes(_idx(x))
    idx_y.write_bytes(gzip.compress(_idx(y.astype(np.uint8))))
    return csv, npz, idx_x, idx_y


@pytest.fixture(scope="module")
def ts_run(tmp_path_factory, ts_files):
    from click.testing import CliRunner

    from seqnet.cli import main

    expr, cond, labels = ts_files
    d = tmp_path_factory.mktemp("tsrun")
    cfg = _config(d / "c.yaml", "timeseries", "lstm", rnn_hidden=8)
    out = d / "run"
    result = CliRunner().invoke(main, ["train", "--timeseries", str(expr), "--conditions", str(cond), "--labels",
                                       str(labels), "--config", str(cfg), "--out", str(out), "--seed", "1",
                                       "--epochs", "3", "--batch-size", "16", "--quiet"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return out


# ----------------------------------------------------------------------------- time series


def test_timeseries_run_directory(ts_run):
    import seqnet

    metrics = json.loads((ts_run / "metrics.json").read_text())
    assert set(metrics) == {"split", "n", "auroc", "auprc", "accuracy", "macro_f1", "baselines"}
    assert metrics["n"] == 6 and 0 <= metrics["accuracy"] <= 1  # 10 % of 60, stratified: 2 per class
    cfg = yaml.safe_load((ts_run / "config.yaml").read_text())
    assert cfg["kind"] == "timeseries" and cfg["model"] == "lstm" and cfg["model_args"]["rnn_hidden"] == 8
    assert cfg["data"]["series"] == ["a", "b"] and cfg["data"]["time_points"] == 6
    assert list(pd.read_csv(ts_run / "history.csv").columns) == [
        "epoch", "train_loss", "valid_loss", "valid_auroc", "valid_auprc", "valid_accuracy", "lr", "seconds"]
    log = (ts_run / "train.log").read_text()
    assert "12 of 72 rows of expr.tsv have no label: left out" in log and "series not used: x" in log
    tm = seqnet.load(ts_run)
    assert tm.kind == "timeseries" and tm.names == ["early", "late", "mid"] and tm.task_type == "multiclass"
    assert tm.preprocess["grid"]["series"] == ["a", "b"] and tm.preprocess["standardize"] == "gene"
    assert tm.model_args["input_shape"] == [6, 2] and tm.model_args["with_mask"] is True


def test_timeseries_evaluate_predict(ts_run, ts_files, tmp_path, cli):
    expr, cond, labels = ts_files
    out = tmp_path / "m.json"
    result = cli("evaluate", ts_run, "--timeseries", expr, "--conditions", cond, "--labels", labels, "--out", out)
    assert result.exit_code == 0, result.output
    assert "accuracy" in result.output and json.loads(out.read_text())["n"] == 60
    preds = tmp_path / "p.tsv"
    result = cli("predict", ts_run, "--timeseries", expr, "--conditions", cond, "--out", preds)
    assert result.exit_code == 0, result.output
    table = pd.read_csv(preds, sep="\t")
    assert list(table.columns) == ["id", "early", "late", "mid", "predicted"] and len(table) == 72  # unlabelled genes too
    assert (table[["early", "late", "mid"]].sum(axis=1) - 1).abs().max() < 1e-4
    # a file with the columns in another order gives the same predictions
    frame = pd.read_csv(expr, sep="\t")
    shuffled = tmp_path / "shuffled.tsv"
    frame[[frame.columns[0]] + list(frame.columns[1:][::-1])].to_csv(shuffled, sep="\t", index=False)
    preds2 = tmp_path / "p2.tsv"
    assert cli("predict", ts_run, "--timeseries", shuffled, "--conditions", cond, "--out", preds2).exit_code == 0
    pd.testing.assert_frame_equal(pd.read_csv(preds2, sep="\t"), table)


def test_timeseries_same_seed_same_metrics(ts_run, ts_files, tmp_path, cli):
    expr, cond, labels = ts_files
    out = tmp_path / "again"
    result = cli("train", "--timeseries", expr, "--conditions", cond, "--labels", labels,
                 "--config", ts_run / "config.yaml", "--out", out, "--quiet")
    assert result.exit_code == 0, result.output
    assert (out / "metrics.json").read_text() == (ts_run / "metrics.json").read_text()


@pytest.mark.parametrize("model, args", [("bilstm", dict(rnn_hidden=4)), ("gru", dict(rnn_hidden=4)),
                                         ("cnn", dict(n_filters=[4])), ("mlp", dict(hidden=[8])),
                                         ("softmax", {})])
def test_timeseries_models(model, args, ts_files, tmp_path, cli):
    expr, cond, labels = ts_files
    cfg = _config(tmp_path / "c.yaml", "timeseries", model, **args)
    out = tmp_path / "run"
    result = cli("train", "--timeseries", expr, "--conditions", cond, "--labels", labels, "--config", cfg,
                 "--series", "b,a", "--standardize", "series", "--out", out, *QUIET)
    assert result.exit_code == 0, result.output
    tm_cfg = yaml.safe_load((out / "config.yaml").read_text())
    assert tm_cfg["model"] == model and tm_cfg["data"]["series"] == ["b", "a"]


def test_timeseries_model_by_name_uses_the_timeseries_recipe(ts_files, tmp_path, cli):
    """--model lstm with --timeseries is the time-series LSTM, with its own recipe."""
    expr, cond, labels = ts_files
    out = tmp_path / "run"
    result = cli("train", "--timeseries", expr, "--conditions", cond, "--labels", labels, "--model", "lstm",
                 "--out", out, "--epochs", "1", "--quiet")
    assert result.exit_code == 0, result.output
    cfg = yaml.safe_load((out / "config.yaml").read_text())
    assert cfg["kind"] == "timeseries" and "rnn_hidden" in cfg["model_args"] and "alphabet" not in cfg["data"]


# ----------------------------------------------------------------------------- tables


def test_table_classification(table_files, tmp_path, cli):
    import seqnet

    feats, classes, _ = table_files
    out = tmp_path / "run"
    result = cli("train", "--table", feats, "--labels", classes, "--model", "mlp", "--out", out, "--epochs", "30",
                 "--batch-size", "16", "--quiet")
    assert result.exit_code == 0, result.output
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["accuracy"] >= 0.75 and metrics["macro_f1"] is not None
    tm = seqnet.load(out)
    assert tm.kind == "table" and tm.preprocess["features"] == ["f1", "f2", "f3", "f4"]
    assert tm.preprocess["standardize"] == "feature" and len(tm.preprocess["mean"]) == 4
    # predict: feature columns are matched by name, extra columns ignored
    frame = pd.read_csv(feats, sep="\t")
    reordered = tmp_path / "reordered.csv"
    frame.assign(note="x")[["sample", "note", "f4", "f3", "f2", "f1"]].to_csv(reordered, index=False)
    p1, p2 = tmp_path / "p1.tsv", tmp_path / "p2.tsv"
    assert cli("predict", out, "--table", feats, "--out", p1).exit_code == 0
    assert cli("predict", out, "--table", reordered, "--out", p2).exit_code == 0
    a, b = pd.read_csv(p1, sep="\t"), pd.read_csv(p2, sep="\t")
    assert list(a.columns) == ["id", "t0", "t1", "t2", "predicted"] and len(a) == 80
    pd.testing.assert_frame_equal(a, b)
    result = cli("evaluate", out, "--table", feats, "--labels", classes)
    assert result.exit_code == 0 and "accuracy" in result.output


def test_table_regression(table_files, tmp_path, cli):
    feats, _, values = table_files
    out = tmp_path / "run"
    result = cli("train", "--table", feats, "--labels", values, "--model", "softmax", "--out", out, "--epochs", "40",
                 "--batch-size", "16", "--lr", "0.05", "--quiet")
    assert result.exit_code == 0, result.output
    assert "Pearson" in result.output
    metrics = json.loads((out / "metrics.json").read_text())
    assert set(metrics) == {"split", "n", "pearson", "spearman", "mse", "baselines"}
    assert set(metrics["pearson"]) == {"score", "other", "mean"} and metrics["pearson"]["score"] > 0.9
    assert list(pd.read_csv(out / "history.csv").columns) == ["epoch", "train_loss", "valid_loss", "valid_pearson",
                                                             "lr", "seconds"]
    preds = tmp_path / "p.tsv"
    assert cli("predict", out, "--table", feats, "--out", preds).exit_code == 0
    table = pd.read_csv(preds, sep="\t")
    assert list(table.columns) == ["id", "score", "other"] and table.score.abs().max() > 1  # values, not probabilities
    result = cli("evaluate", out, "--table", feats, "--labels", values)
    assert result.exit_code == 0 and "Spearman" in result.output


def test_task_regression_forces_whole_numbers(table_files, tmp_path, cli):
    feats, _, _ = table_files
    counts = write(tmp_path / "counts.tsv", "sample\tcount\n" + "".join(f"s{i}\t{i % 7}\n" for i in range(80)))
    out = tmp_path / "run"
    result = cli("train", "--table", feats, "--labels", counts, "--task", "regression", "--model", "softmax",
                 "--out", out, *QUIET)
    assert result.exit_code == 0, result.output
    assert "pearson" in json.loads((out / "metrics.json").read_text())


# ----------------------------------------------------------------------------- images


def test_images_csv_npz_idx(image_files, tmp_path, cli):
    import seqnet

    csv, npz, idx_x, idx_y = image_files
    cfg = _config(tmp_path / "lenet.yaml", "image", "lenet", channels=[4, 8], hidden=[16, 8])
    out = tmp_path / "lenet"
    result = cli("train", "--images", csv, "--config", cfg, "--out", out, "--epochs", "8", "--batch-size", "8",
                 "--lr", "0.01", "--quiet")
    assert result.exit_code == 0, result.output
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["n"] == 6 and metrics["accuracy"] >= 0.8
    tm = seqnet.load(out)
    assert tm.kind == "image" and tm.preprocess["image_shape"] == [1, 12, 12] and len(tm.preprocess["mean"]) == 1
    assert yaml.safe_load((out / "config.yaml").read_text())["data"]["image_shape"] == "12x12"
    for path, extra in ((csv, []), (npz, []), (idx_x, ["--labels", idx_y])):
        result = cli("evaluate", out, "--images", path, *extra)
        assert result.exit_code == 0, result.output
    preds = tmp_path / "p.tsv"
    assert cli("predict", out, "--images", idx_x, "--out", preds).exit_code == 0
    table = pd.read_csv(preds, sep="\t")
    assert list(table.columns) == ["id", "0", "1", "2", "predicted"] and list(table.id[:3]) == [0, 1, 2]
    for path, extra, model in ((npz, [], "softmax"), (idx_x, ["--labels", idx_y], "mlp"),
                               (npz, ["--image-shape", "12x12"], "resnet")):
        args = {"resnet": dict(channels=[4, 4]), "mlp": dict(hidden=[8]), "softmax": {}}[model]
        run = tmp_path / f"run_{model}"
        result = cli("train", "--images", path, *extra, "--config", _config(tmp_path / f"{model}.yaml", "image", model,
                                                                            **args), "--out", run, *QUIET)
        assert result.exit_code == 0, result.output


# ----------------------------------------------------------------------------- errors


def _train(cli, tmp_path, *args):
    out = tmp_path / "run"
    result = cli("train", *QUIET, *args, "--out", out)
    assert not out.exists() and not list(tmp_path.glob(".run.partial*"))
    return result


def test_error_timeseries_options(cli, tmp_path, ts_files):
    expr, cond, labels = ts_files
    _fails(_train(cli, tmp_path, "--timeseries", expr, "--labels", labels), "--timeseries needs --conditions")
    _fails(_train(cli, tmp_path, "--timeseries", expr, "--conditions", cond), "--timeseries needs --labels")
    _fails(_train(cli, tmp_path, "--timeseries", expr, "--conditions", cond, "--labels", labels, "--series", "a,zz"),
           f"{cond}: no series 'zz' among the columns of {expr}")
    _fails(_train(cli, tmp_path, "--timeseries", expr, "--conditions", cond, "--labels", labels, "--image-shape", "5x5"),
           "--image-shape goes with image input, not with time-series input")
    _fails(_train(cli, tmp_path, "--timeseries", expr, "--conditions", cond, "--labels", labels, "--alphabet", "dna"),
           "data.alphabet does not apply to time-series input")
    _fails(_train(cli, tmp_path, "--timeseries", expr, "--conditions", cond, "--labels", labels, "--standardize", "zz"),
           "standardize must be 'gene' or 'series' or 'none' for time-series input, got 'zz'")
    _fails(_train(cli, tmp_path, "--timeseries", expr, "--conditions", cond, "--labels", labels, "--model", "deepbind"),
           "unknown model 'deepbind' for time-series input", "('deepbind' is a sequence model)")
    _fails(_train(cli, tmp_path, "--timeseries", expr, "--table", expr, "--labels", labels),
           "name the input one way", "(got --timeseries and --table)")


def test_error_timeseries_files(cli, tmp_path, ts_files):
    expr, cond, labels = ts_files
    lines = expr.read_text().splitlines()
    bad = write(tmp_path / "bad.tsv", "\n".join(lines[:3] + [lines[3].replace("\t", "\tn/d\t", 1).rsplit("\t", 1)[0]]
                                               + lines[4:]) + "\n")
    _fails(_train(cli, tmp_path, "--timeseries", bad, "--conditions", cond, "--labels", labels),
           f"{bad}: line 4, column 'a_0': expected a number, found 'n/d'")
    ragged = write(tmp_path / "ragged.tsv", "\n".join(lines[:5] + [lines[5].rsplit("\t", 2)[0]] + lines[6:]) + "\n")
    _fails(_train(cli, tmp_path, "--timeseries", ragged, "--conditions", cond, "--labels", labels),
           f"{ragged}: line 6: expected 13 columns as in the header, found 11")
    extra = write(tmp_path / "labels.tsv", labels.read_text() + "gZ\tearly\n")
    _fails(_train(cli, tmp_path, "--timeseries", expr, "--conditions", cond, "--labels", extra),
           f"{extra}: 1 label rows match no expr.tsv row record (first: 'gZ')")
    empty = write(tmp_path / "empty_label.tsv", "gene\tphase\ng1\t\n")
    _fails(_train(cli, tmp_path, "--timeseries", expr, "--conditions", cond, "--labels", empty),
           f"{empty}: line 2, column 'phase': empty cell; expected a label")


def test_error_table(cli, tmp_path, table_files):
    feats, classes, values = table_files
    lines = feats.read_text().splitlines()
    bad = write(tmp_path / "bad.tsv", "\n".join(lines[:4] + ["s3\t1.0\tabc\t0.1\t2"] + lines[5:]) + "\n")
    _fails(_train(cli, tmp_path, "--table", bad, "--labels", classes),
           f"{bad}: line 5, column 'f2': expected a number, found 'abc'")
    gap = write(tmp_path / "gap.tsv", "\n".join(lines[:4] + ["s3\t1.0\t\t0.1\t2"] + lines[5:]) + "\n")
    _fails(_train(cli, tmp_path, "--table", gap, "--labels", classes),
           f"{gap}: line 5, column 'f2': expected a number, found an empty cell (missing values are not allowed here)")
    ragged = write(tmp_path / "ragged.tsv", "\n".join(lines[:4] + ["s3\t1.0\t0.1\t2"] + lines[5:]) + "\n")
    _fails(_train(cli, tmp_path, "--table", ragged, "--labels", classes),
           f"{ragged}: line 5: expected 5 columns as in the header, found 4")
    short = write(tmp_path / "short.tsv", "\n".join(classes.read_text().splitlines()[:-3]) + "\n")
    _fails(_train(cli, tmp_path, "--table", feats, "--labels", short),
           f"{short}: 3 of 80 features.tsv row records have no label (first: 's77', 's78', 's79')")
    _fails(_train(cli, tmp_path, "--table", feats), "--table needs --labels LABELS.tsv")
    _fails(_train(cli, tmp_path, "--table", feats, "--labels", classes, "--rc-augment"),
           "rc_augment (reverse complement) applies to sequence input only, not table input")
    _fails(_train(cli, tmp_path, "--table", feats, "--labels", values, "--monitor", "accuracy"),
           "monitor 'accuracy' needs a multi-class task; this one is regression")
    words = write(tmp_path / "words.tsv", "sample\tscore\n" + "".join(f"s{i}\t{'high' if i == 9 else i / 3}\n"
                                                                    for i in range(80)))
    _fails(_train(cli, tmp_path, "--table", feats, "--labels", words, "--task", "regression"),
           f"{words}: line 11, column 'score': expected a number (regression target), found 'high'")


def test_error_images(cli, tmp_path, image_files):
    csv, npz, idx_x, idx_y = image_files
    _fails(_train(cli, tmp_path, "--images", csv, "--image-shape", "10x10"),
           f"{csv}: line 1: expected 100 pixels (image shape 10x10) then a label, found 145 values")
    _fails(_train(cli, tmp_path, "--images", idx_x), f"{idx_x}: labels missing: IDX images need --labels")
    nolabels = tmp_path / "x.npz"
    np.savez(nolabels, x=np.zeros((4, 12, 12)))
    _fails(_train(cli, tmp_path, "--images", nolabels), f"{nolabels}: labels missing: no array 'y'")
    text = gzip.decompress(csv.read_bytes()).decode().splitlines()
    ragged = write(tmp_path / "ragged.csv", "\n".join(text[:2] + [text[2].rsplit(",", 3)[0]] + text[3:]) + "\n")
    _fails(_train(cli, tmp_path, "--images", ragged), f"{ragged}: line 3: expected 145 values as on line 1, found 142")
    cells = text[1].split(",")
    cells[7] = "-"
    bad = write(tmp_path / "bad.csv", "\n".join(text[:1] + [",".join(cells)] + text[2:]) + "\n")
    _fails(_train(cli, tmp_path, "--images", bad), f"{bad}: line 2, column 8: expected a pixel value (a number), found '-'")
    _fails(_train(cli, tmp_path, "--images", csv, "--labels", idx_y), "--labels goes with IDX images")
    _fails(_train(cli, tmp_path, "--images", csv, "--image-shape", "12"), "--image-shape / data.image_shape '12': expected HxW or CxHxW")


def test_error_predict_evaluate_mismatch(cli, tmp_path, ts_run, ts_files, table_files, image_files, sim):
    expr, cond, labels = ts_files
    feats, classes, _ = table_files
    out = tmp_path / "p.tsv"
    _fails(cli("predict", ts_run, "--table", feats, "--out", out),
           "the model was trained on time-series input; give --timeseries with --conditions, not table input")
    _fails(cli("predict", ts_run, "--fasta", sim.positives_fasta, "--out", out), "trained on time-series input")
    _fails(cli("predict", ts_run, "--timeseries", expr, "--out", out), "--timeseries needs --conditions")
    _fails(cli("predict", ts_run, "--out", out), "name the input one way: --fasta SEQS.fa, --timeseries")
    _fails(cli("predict", ts_run, "--timeseries", expr, "--conditions", cond, "--rc-average", "--out", out),
           "--rc-average goes with sequence input, not with time-series input")
    only_a = write(tmp_path / "only_a.tsv", "condition\tseries\ttime\n" + "".join(
        ln + "\n" for ln in cond.read_text().splitlines()[1:] if "\tb\t" not in ln)
        + "".join(f"b_{t}\tother\t{t}\n" for t in range(0, 75, 15)))
    _fails(cli("predict", ts_run, "--timeseries", expr, "--conditions", only_a, "--out", out),
           f"{expr}: no columns of series 'b' (per {only_a}); the model was trained on series a, b")
    _fails(cli("evaluate", ts_run, "--timeseries", expr, "--conditions", cond), "needs --labels")
    other = write(tmp_path / "other.tsv", "gene\tphase\ng1\tearly\ng2\tnever\n")
    _fails(cli("evaluate", ts_run, "--timeseries", expr, "--conditions", cond, "--labels", other),
           "classes 'never' are not among the model's classes (early, late, mid)")
    assert not out.exists()


def test_error_predict_table_and_image_inputs(cli, tmp_path, table_files, image_files):
    feats, classes, _ = table_files
    csv, npz, idx_x, idx_y = image_files
    run = tmp_path / "table_run"
    assert cli("train", "--table", feats, "--labels", classes, "--model", "softmax", "--out", run, *QUIET).exit_code == 0
    frame = pd.read_csv(feats, sep="\t")
    missing = tmp_path / "missing.tsv"
    frame.drop(columns=["f3"]).to_csv(missing, sep="\t", index=False)
    out = tmp_path / "p.tsv"
    _fails(cli("predict", run, "--table", missing, "--out", out),
           f"{missing}: 1 of the 4 feature columns needed are missing (first: 'f3')")
    img_run = tmp_path / "img_run"
    assert cli("train", "--images", npz, "--model", "softmax", "--out", img_run, *QUIET).exit_code == 0
    small = tmp_path / "small.npz"
    np.savez(small, x=np.zeros((3, 10, 10)))
    _fails(cli("predict", img_run, "--images", small, "--out", out), f"{small}: array 'x' holds 10x10 images; expected 12x12")
    assert not out.exists()


def test_motifs_refuse_array_models(cli, tmp_path, ts_run, sim):
    _fails(cli("motifs", ts_run, "--fasta", sim.positives_fasta, "--out", tmp_path / "m"),
           "works on sequence models; this model was trained on time-series input")


def test_models_lists_every_kind(cli):
    from seqnet.models import REGISTRY

    result = cli("models")
    assert result.exit_code == 0, result.output
    text = result.output
    for heading in ("sequence models:", "time-series models:", "table models:", "image models:"):
        assert heading in text
    section = text.split("image models:")[1].splitlines()
    assert [ln.split()[0] for ln in section[2:-1]] == sorted(REGISTRY["image"])
    result = cli("models", "--kind", "timeseries")
    assert result.exit_code == 0 and "sequence models" not in result.output and "lstm" in result.output


def test_sequence_regression(sim, tiny_config, tmp_path, cli):
    """Numeric labels with fractions make a regression task for sequences too."""
    ids = [ln[1:].split()[0] for ln in sim.multilabel_fasta.read_text().splitlines() if ln.startswith(">")]
    rng = np.random.default_rng(0)
    labels = write(tmp_path / "affinity.tsv", "id\taffinity\n" + "".join(f"{i}\t{rng.normal():.3f}\n" for i in ids))
    out = tmp_path / "run"
    result = cli("train", "--fasta", sim.multilabel_fasta, "--labels", labels, "--config", tiny_config, "--out", out,
                 "--epochs", "2", "--batch-size", "32", "--quiet")
    assert result.exit_code == 0, result.output
    metrics = json.loads((out / "metrics.json").read_text())
    assert set(metrics) == {"split", "n", "pearson", "spearman", "mse", "baselines"}
    result = cli("evaluate", out, "--fasta", sim.multilabel_fasta, "--labels", labels)
    assert result.exit_code == 0 and "Pearson" in result.output
    preds = tmp_path / "p.tsv"
    assert cli("predict", out, "--fasta", sim.multilabel_fasta, "--out", preds).exit_code == 0
    assert list(pd.read_csv(preds, sep="\t").columns) == ["id", "affinity"]
    _fails(cli("train", "--positives", sim.positives_fasta, "--negatives", "shuffle", "--task", "regression",
               "--out", tmp_path / "r2", "--quiet"), "--task regression needs a label table")
