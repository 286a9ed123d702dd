"""End-to-end tests of the command line on small files, and its error paths."""

from __future__ import annotations

import gzip
import json

import pandas as pd
import pytest
import yaml

from conftest import TINY, write

COMMANDS = ["train", "evaluate", "predict", "simulate", "models"]


@pytest.mark.parametrize("command", COMMANDS)
def test_help(cli, command):
    result = cli(command, "--help")
    assert result.exit_code == 0
    assert "Usage: " in result.output and command in result.output


def test_version(cli):
    from seqnet import __version__

    result = cli("--version")
    assert result.exit_code == 0 and __version__ in result.output


@pytest.fixture(scope="module")
def binary_run(tmp_path_factory, sim, tiny_config):
    from click.testing import CliRunner

    from seqnet.cli import main

    out = tmp_path_factory.mktemp("runs") / "binary"
    result = CliRunner().invoke(main, ["train", "--positives", str(sim.positives_fasta), "--negatives",
                                       str(sim.negatives_fasta), "--config", str(tiny_config), "--out", str(out),
                                       "--seed", "1", *TINY], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return out


def test_train_writes_run_directory(binary_run):
    for name in ("model.pt", "config.yaml", "history.csv", "metrics.json", "train.log"):
        assert (binary_run / name).is_file(), name
    metrics = json.loads((binary_run / "metrics.json").read_text())
    assert set(metrics) == {"split", "n", "auroc", "auprc", "baselines", "checks"}  # issue 15: baselines, checks
    assert metrics["split"] == "test" and metrics["n"] == 30  # 10% of 300 records
    assert set(metrics["auroc"]) == {"bound", "mean"}  # issue 15: the default task name
    assert 0.0 <= metrics["auroc"]["mean"] <= 1.0
    cfg = yaml.safe_load((binary_run / "config.yaml").read_text())
    assert cfg["model"] == "deepbind" and cfg["model_args"]["n_filters"] == 8 and cfg["data"]["length"] == 80
    assert cfg["train"]["epochs"] == 2 and cfg["seed"] == 1
    history = pd.read_csv(binary_run / "history.csv")
    assert list(history.epoch) == [1, 2]
    assert "epoch 2/2" in (binary_run / "train.log").read_text()
    assert not any(p.name.startswith(".") for p in binary_run.parent.iterdir())


def test_run_config_is_reusable(binary_run, sim, tmp_path, cli):
    """The resolved config.yaml is itself a valid --config."""
    out = tmp_path / "again"
    result = cli("train", "--positives", sim.positives_fasta, "--negatives", sim.negatives_fasta,
                 "--config", binary_run / "config.yaml", "--out", out, "--quiet")
    assert result.exit_code == 0, result.output
    assert (out / "metrics.json").read_text() == (binary_run / "metrics.json").read_text()


def test_seqnet_load(binary_run):
    import seqnet

    tm = seqnet.load(binary_run)
    assert tm.name == "deepbind" and tm.length == 80 and tm.names == ["bound"]
    assert tm.alphabet.name == "dna" and tm.task_type == "binary"
    assert not tm.model.training


def test_same_seed_same_metrics(binary_run, sim, tiny_config, tmp_path, cli):
    out = tmp_path / "rerun"
    result = cli("train", "--positives", sim.positives_fasta, "--negatives", sim.negatives_fasta,
                 "--config", tiny_config, "--out", out, "--seed", "1", *TINY)
    assert result.exit_code == 0, result.output
    assert (out / "metrics.json").read_text() == (binary_run / "metrics.json").read_text()
    assert (out / "history.csv").read_text().split("\n")[1].split(",")[:5] == \
        (binary_run / "history.csv").read_text().split("\n")[1].split(",")[:5]


def test_evaluate_and_predict(binary_run, sim, tmp_path, cli):
    out = tmp_path / "m.json"
    result = cli("evaluate", binary_run, "--positives", sim.positives_fasta, "--negatives", sim.negatives_fasta,
                 "--out", out)
    assert result.exit_code == 0, result.output
    assert "AUROC" in result.output and "bound" in result.output
    metrics = json.loads(out.read_text())
    assert metrics["n"] == 300 and set(metrics) == {"split", "n", "auroc", "auprc"}

    preds = tmp_path / "p.tsv"
    result = cli("predict", binary_run, "--fasta", sim.positives_fasta, "--out", preds)
    assert result.exit_code == 0, result.output
    table = pd.read_csv(preds, sep="\t")
    assert list(table.columns) == ["id", "bound"] and len(table) == 150
    assert table.bound.between(0, 1).all()
    assert table.id.iloc[0] == "sim_pos_00001"

    rc = tmp_path / "rc.tsv"
    assert cli("predict", binary_run, "--fasta", sim.positives_fasta, "--out", rc, "--rc-average").exit_code == 0
    rc_table = pd.read_csv(rc, sep="\t")
    assert not rc_table.bound.equals(table.bound)


def test_predict_pads_shorter_and_refuses_longer_records(binary_run, tmp_path, cli):
    fa = write(tmp_path / "x.fa", ">short\nACGTACGTAC\n>long\n" + "ACGT" * 60 + "\n>soft\nacgtnnACGT\n")
    out = tmp_path / "p.tsv"
    result = cli("predict", binary_run, "--fasta", fa, "--out", out)
    assert result.exit_code == 1 and not out.exists()
    assert result.stderr.strip() == (
        f"Error: {fa}: record 'long' is 240 bp, longer than the model's input (80 bp); scan long sequences with "
        f"`seqnet scan RUN --genome {fa}`, or pass --crop centre to score the centre 80 bp")
    result = cli("predict", binary_run, "--fasta", fa, "--out", out, "--crop", "centre")
    assert result.exit_code == 0, result.output
    assert list(pd.read_csv(out, sep="\t").id) == ["short", "long", "soft"]


def test_predict_bed_genome(binary_run, tmp_path, cli):
    from seqnet.inputs import InputSpec
    from seqnet.predict import predict_table

    seq = "".join("ACGT"[(i * 7 + i // 3) % 4] for i in range(400))
    genome = write(tmp_path / "g.fa", ">c1\n" + seq + "\n")
    bed = write(tmp_path / "r.bed", "c1\t100\t150\nc1\t300\t380\n")
    out = tmp_path / "p.tsv"
    result = cli("predict", binary_run, "--bed", bed, "--genome", genome, "--out", out)
    assert result.exit_code == 0, result.output
    table = pd.read_csv(out, sep="\t")
    assert list(table.id) == ["c1:85-165", "c1:300-380"]
    fa = write(tmp_path / "w.fa", f">x\n{seq[85:165]}\n>y\n{seq[300:380]}\n")
    expected = predict_table(binary_run, InputSpec(fasta=fa))
    assert table.bound.tolist() == pytest.approx(expected.bound.tolist(), abs=1e-6)

    long_bed = write(tmp_path / "long.bed", "c1\t0\t200\n")
    result = cli("predict", binary_run, "--bed", long_bed, "--genome", genome, "--out", out)
    assert result.exit_code == 1 and "long.bed: line 1: interval c1:0-200 is 200 bp, longer than the model's input " \
        "(80 bp); scan it with `seqnet scan" in result.stderr
    assert cli("predict", binary_run, "--bed", long_bed, "--genome", genome, "--out", out, "--tile").exit_code == 0
    assert list(pd.read_csv(out, sep="\t").id) == ["c1:0-80", "c1:80-160"]
    result = cli("predict", binary_run, "--bed", long_bed, "--out", out)
    assert result.exit_code == 1 and result.stderr.strip() == "Error: --bed needs --genome GENOME.fa"


def test_multilabel_fasta_labels(sim, tiny_config, tmp_path, cli):
    out = tmp_path / "ml"
    result = cli("train", "--fasta", sim.multilabel_fasta, "--labels", sim.labels_tsv, "--config", tiny_config,
                 "--out", out, *TINY)
    assert result.exit_code == 0, result.output
    metrics = json.loads((out / "metrics.json").read_text())
    assert set(metrics["auroc"]) == {"CTCF", "SPI1", "CEBPB", "mean"}
    preds = tmp_path / "p.tsv"
    assert cli("predict", out, "--fasta", sim.multilabel_fasta, "--out", preds).exit_code == 0
    assert list(pd.read_csv(preds, sep="\t").columns) == ["id", "CTCF", "SPI1", "CEBPB"]
    # evaluate with the columns in another order
    labels = pd.read_csv(sim.labels_tsv, sep="\t")
    shuffled = tmp_path / "labels.tsv"
    labels[["id", "CEBPB", "CTCF", "SPI1"]].to_csv(shuffled, sep="\t", index=False)
    result = cli("evaluate", out, "--fasta", sim.multilabel_fasta, "--labels", shuffled)
    assert result.exit_code == 0, result.output


def test_multiclass(sim, tiny_config, tmp_path, cli):
    labels = pd.read_csv(sim.labels_tsv, sep="\t")
    classes = labels[["CTCF", "SPI1", "CEBPB"]].to_numpy().argmax(axis=1)
    table = pd.DataFrame({"id": labels.id, "class": [["ctcf", "spi1", "cebpb"][c] for c in classes]})
    path = tmp_path / "classes.tsv"
    table.to_csv(path, sep="\t", index=False)
    out = tmp_path / "mc"
    result = cli("train", "--fasta", sim.multilabel_fasta, "--labels", path, "--config", tiny_config, "--out", out, *TINY)
    assert result.exit_code == 0, result.output
    metrics = json.loads((out / "metrics.json").read_text())
    assert set(metrics) == {"split", "n", "auroc", "auprc", "accuracy", "macro_f1", "baselines"}
    assert 0 <= metrics["macro_f1"] <= 1
    assert set(metrics["auroc"]) == {"cebpb", "ctcf", "spi1", "mean"}
    preds = tmp_path / "p.tsv"
    assert cli("predict", out, "--fasta", sim.multilabel_fasta, "--out", preds).exit_code == 0
    p = pd.read_csv(preds, sep="\t")
    assert list(p.columns) == ["id", "cebpb", "ctcf", "spi1", "predicted"]  # issue 15: the predicted class
    assert (p[["cebpb", "ctcf", "spi1"]].sum(axis=1) - 1).abs().max() < 1e-4


def test_gzipped_input_and_test_chroms(tmp_path, tiny_config, cli):
    import numpy as np

    rng = np.random.default_rng(0)
    recs = []
    for i in range(120):
        chrom = f"chr{1 + i % 3}"
        seq = "".join(rng.choice(list("ACGT"), 60))
        if i % 2 == 0:
            seq = seq[:20] + "GGGGCCCCGGGG" + seq[32:]
        recs.append((f"{chrom}:{i * 100}-{i * 100 + 60}", seq, i % 2 == 0))
    pos = tmp_path / "pos.fa.gz"
    neg = tmp_path / "neg.fa"
    with gzip.open(pos, "wt") as fh:
        fh.writelines(f">{i}\n{s[:30]}\n{s[30:]}\n" for i, s, p in recs if p)
    neg.write_text("".join(f">{i}\n{s}\n" for i, s, p in recs if not p))
    out = tmp_path / "chroms"
    result = cli("train", "--positives", pos, "--negatives", neg, "--config", tiny_config, "--out", out,
                 "--test-chroms", "chr3", *TINY)
    assert result.exit_code == 0, result.output
    assert json.loads((out / "metrics.json").read_text())["n"] == 40
    assert "test 40" in (out / "train.log").read_text()


def test_bed_genome(tmp_path, tiny_config, cli):
    import numpy as np

    rng = np.random.default_rng(1)
    chrom = list("".join(rng.choice(list("ACGT"), 20000)))
    peaks = []
    for k in range(60):
        start = 200 + k * 300
        chrom[start + 40 : start + 52] = list("GGGGCCCCGGGG")
        peaks.append(f"chr1\t{start}\t{start + 100}\tpeak{k}\n")
    genome = write(tmp_path / "genome.fa", ">chr1\n" + "".join(chrom) + "\n>chr2\n" + "ACGT" * 2500 + "\n")
    bed = write(tmp_path / "peaks.bed", "".join(peaks))
    for neg in ("shuffle", "genome"):
        out = tmp_path / f"bed_{neg}"
        result = cli("train", "--bed", bed, "--genome", genome, "--negatives", neg, "--length", 80,
                     "--config", tiny_config, "--out", out, *TINY)
        assert result.exit_code == 0, result.output
        assert (out / "model.pt").is_file()
        assert yaml.safe_load((out / "config.yaml").read_text())["data"]["length"] == 80


def test_simulate_cli(tmp_path, cli):
    out = tmp_path / "sim"
    result = cli("simulate", "--out", out, "--n", 20, "--length", 60, "--motifs", "CTCF,SPI1", "--seed", 2)
    assert result.exit_code == 0, result.output
    assert {p.name for p in out.iterdir()} >= {"positives.fa", "negatives.fa", "multilabel.fa", "labels.tsv", "motifs.meme"}


# ---------------------------------------------------------------- bad input

def _fails(result, *fragments):
    assert result.exit_code == 1, result.output
    err = result.stderr.strip()
    assert err.startswith("Error: ") and "\n" not in err, err
    assert "Traceback" not in result.output
    for f in fragments:
        assert f in err, (f, err)


@pytest.fixture
def good_fa(tmp_path):
    return write(tmp_path / "good.fa", ">a\nACGTACGTAC\n>b\nTTGCATGCAA\n>c\nGGGCCCAATT\n")


def _train(cli, tmp_path, *args):
    out = tmp_path / "run"
    result = cli("train", *TINY, *args, "--out", out)
    assert not out.exists() and not list(tmp_path.glob(".run.partial*"))
    return result


def test_error_missing_file(cli, tmp_path):
    _fails(_train(cli, tmp_path, "--positives", tmp_path / "nope.fa", "--negatives", "shuffle"), "nope.fa: no such file")


def test_error_empty_fasta(cli, tmp_path):
    empty = write(tmp_path / "empty.fa", "")
    _fails(_train(cli, tmp_path, "--positives", empty, "--negatives", "shuffle"), "empty.fa", "no FASTA records")


def test_error_not_fasta(cli, tmp_path):
    tsv = write(tmp_path / "x.tsv", "FoldID\tEventID\tseq\tBound\nA\ts1\tACGT\t1\n")
    _fails(_train(cli, tmp_path, "--positives", tsv, "--negatives", "shuffle"), "x.tsv: line 1", "'>'")


def test_error_invalid_character(cli, tmp_path, good_fa):
    bad = write(tmp_path / "bad.fa", ">ok\nACGT\n>r2\nACGJT\n")
    _fails(_train(cli, tmp_path, "--positives", bad, "--negatives", good_fa),
           "bad.fa: record 'r2': invalid character 'J' at position 4")


def test_error_duplicate_ids(cli, tmp_path):
    dup = write(tmp_path / "dup.fa", ">a\nACGT\n>b\nACGT\n>a\nAAAA\n")
    _fails(_train(cli, tmp_path, "--positives", dup, "--negatives", "shuffle"), "dup.fa", "duplicate record id 'a'")


def test_error_ids_in_both_classes(cli, tmp_path, good_fa):
    _fails(_train(cli, tmp_path, "--positives", good_fa, "--negatives", good_fa), "3 record ids also occur")


def test_error_labels_do_not_match(cli, tmp_path, good_fa):
    labels = write(tmp_path / "labels.tsv", "id\tTF\na\t1\nb\t0\nz\t1\n")
    _fails(_train(cli, tmp_path, "--fasta", good_fa, "--labels", labels), "labels.tsv", "have no label", "'c'")


def test_error_non_numeric_labels(cli, tmp_path, good_fa):
    labels = write(tmp_path / "labels.tsv", "id\tTF1\tTF2\na\t1\t0\nb\tyes\t1\nc\t0\t1\n")
    _fails(_train(cli, tmp_path, "--fasta", good_fa, "--labels", labels),
           "labels.tsv: line 3, column 'TF1': expected 0 or 1, found 'yes'")


def test_error_bed_outside_chromosome(cli, tmp_path):
    genome = write(tmp_path / "g.fa", ">chr1\n" + "ACGT" * 250 + "\n")
    bed = write(tmp_path / "p.bed", "chr1\t10\t60\nchr1\t950\t1200\n")
    _fails(_train(cli, tmp_path, "--bed", bed, "--genome", genome, "--negatives", "shuffle"),
           "p.bed: line 2", "ends past the end of chr1 (1000 bp)")


def test_error_bed_unknown_chromosome(cli, tmp_path):
    genome = write(tmp_path / "g.fa", ">chr1\n" + "ACGT" * 250 + "\n")
    bed = write(tmp_path / "p.bed", "chr1\t10\t60\nchrZ\t5\t50\n")
    _fails(_train(cli, tmp_path, "--bed", bed, "--genome", genome, "--negatives", "shuffle"),
           "p.bed: line 2: unknown chromosome 'chrZ'")


def test_error_truncated_gzip(cli, tmp_path):
    data = gzip.compress(b">a\n" + b"ACGT" * 2000 + b"\n")
    trunc = tmp_path / "t.fa.gz"
    trunc.write_bytes(data[: len(data) // 2])
    _fails(_train(cli, tmp_path, "--positives", trunc, "--negatives", "shuffle"), "t.fa.gz", "truncated or corrupt gzip")


def test_error_unknown_model(cli, tmp_path, good_fa):
    _fails(_train(cli, tmp_path, "--positives", good_fa, "--negatives", "shuffle", "--model", "nope"),
           "unknown model 'nope'", "deepbind")


@pytest.mark.parametrize(
    "option, value, message",
    [
        ("--epochs", "-1", "epochs must be an integer >= 1, got -1"),
        ("--batch-size", "0", "batch size must be an integer >= 1, got 0"),
        ("--lr", "-0.1", "learning rate must be > 0"),
        ("--valid-fraction", "1.5", "valid fraction must be in [0, 1)"),
        ("--length", "0", "length must be an integer >= 1"),
        ("--patience", "-2", "patience must be an integer >= 0"),
    ],
)
def test_error_nonsensical_numbers(cli, tmp_path, good_fa, option, value, message):
    _fails(_train(cli, tmp_path, "--positives", good_fa, "--negatives", "shuffle", option, value), message)


def test_error_input_modes(cli, tmp_path, good_fa):
    _fails(_train(cli, tmp_path), "name the input one way", "--timeseries", "--table", "--images")
    _fails(_train(cli, tmp_path, "--positives", good_fa), "--positives needs --negatives")
    _fails(_train(cli, tmp_path, "--fasta", good_fa), "--fasta needs --labels")
    _fails(_train(cli, tmp_path, "--positives", good_fa, "--fasta", good_fa, "--negatives", "shuffle"),
           "got --positives and --fasta")


def test_error_bad_config_key(cli, tmp_path, good_fa):
    cfg = write(tmp_path / "c.yaml", "train:\n  epoch: 3\n")
    _fails(_train(cli, tmp_path, "--positives", good_fa, "--negatives", "shuffle", "--config", cfg),
           "c.yaml: unknown config key 'train.epoch'")


def test_error_existing_run_dir(cli, tmp_path, good_fa):
    out = tmp_path / "run"
    out.mkdir()
    (out / "keep.txt").write_text("x")
    result = cli("train", "--positives", good_fa, "--negatives", "shuffle", "--out", out, *TINY)
    _fails(result, "directory exists and is not empty; pass --overwrite")
    assert (out / "keep.txt").exists()


def test_error_cuda_unavailable(cli, tmp_path, good_fa):
    import torch

    if torch.cuda.is_available():
        pytest.skip("CUDA is available here")
    _fails(_train(cli, tmp_path, "--positives", good_fa, "--negatives", "shuffle", "--device", "cuda"),
           "CUDA is not available")


def test_error_evaluate_predict_bad_run(cli, tmp_path, good_fa):
    _fails(cli("predict", tmp_path / "norun", "--fasta", good_fa, "--out", tmp_path / "p.tsv"),
           "norun: no such run directory")
    (tmp_path / "emptyrun").mkdir()
    _fails(cli("evaluate", tmp_path / "emptyrun", "--positives", good_fa, "--negatives", "shuffle"),
           "not a seqnet run directory")
    junk = write(tmp_path / "junk.pt", "not a checkpoint")
    _fails(cli("predict", junk, "--fasta", good_fa, "--out", tmp_path / "p.tsv"), "junk.pt: not a readable seqnet checkpoint")
    assert not (tmp_path / "p.tsv").exists()


def test_error_predict_invalid_sequence(cli, binary_run, tmp_path):
    bad = write(tmp_path / "bad.fa", ">x\nACGT\n>y\nAC-GT\n")
    out = tmp_path / "p.tsv"
    _fails(cli("predict", binary_run, "--fasta", bad, "--out", out), "bad.fa: record 'y': invalid character '-' at position 3")
    assert not out.exists()


def test_error_evaluate_label_mismatch(cli, binary_run, tmp_path, good_fa):
    labels = write(tmp_path / "l.tsv", "id\tother\na\t1\nb\t0\nc\t1\n")
    _fails(cli("evaluate", binary_run, "--fasta", good_fa, "--labels", labels), "l.tsv", "other")


def test_error_simulate_bad_motif(cli, tmp_path):
    _fails(cli("simulate", "--out", tmp_path / "s", "--motifs", "NOTATF"), "NOTATF")
    assert not (tmp_path / "s").exists()


def test_protein_train_predict(tmp_path, tiny_config, cli):
    import numpy as np

    rng = np.random.default_rng(0)
    aa = list("ACDEFGHIKLMNPQRSTVWY")
    pos = "".join(f">p{i}\n{''.join(rng.choice(aa, 15))}WWKWW{''.join(rng.choice(aa, 20))}\n" for i in range(60))
    neg = "".join(f">n{i}\n{''.join(rng.choice(aa, 40))}\n" for i in range(60))
    p, n = write(tmp_path / "pos.fa", pos), write(tmp_path / "neg.fa", neg)
    out = tmp_path / "prot"
    result = cli("train", "--positives", p, "--negatives", n, "--alphabet", "protein", "--config", tiny_config,
                 "--out", out, *TINY)
    assert result.exit_code == 0, result.output
    import seqnet

    assert seqnet.load(out).alphabet.name == "protein"
    preds = tmp_path / "p.tsv"
    assert cli("predict", out, "--fasta", p, "--out", preds).exit_code == 0
    _fails(cli("predict", out, "--fasta", p, "--out", preds, "--rc-average"), "protein alphabet has no reverse complement")


def test_models_lists_registry(cli):
    from seqnet.models import MODELS

    result = cli("models", "--kind", "sequence", "--length", 200)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].split()[:2] == ["model", "parameters"]
    assert [ln.split()[0] for ln in lines[1:-1]] == sorted(MODELS)
    deepbind = next(ln for ln in lines if ln.startswith("deepbind"))
    assert "20,673" in deepbind and "24 bp" in deepbind
    _fails(cli("models", "--length", 0), "--length must be >= 1")


def test_threads_option(cli):
    import torch

    result = cli("--threads", "0", "models")
    assert result.exit_code == 1
    assert result.output.strip() == "Error: --threads must be >= 1, got 0"
    before = torch.get_num_threads()
    try:
        result = cli("--threads", "1", "models")
        assert result.exit_code == 0, result.output
        assert torch.get_num_threads() == 1
    finally:
        torch.set_num_threads(before)
