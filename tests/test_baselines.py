"""Baselines beside the model (seqnet.baselines), the confound checks (seqnet.confounds),
and what a run keeps: test predictions, figures, report.html, a dated train.log header."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import yaml

from conftest import TINY
from seqnet.alphabets import DNA, PROTEIN
from seqnet.encode import encode


def _tokens(*seqs: str, alphabet=DNA) -> np.ndarray:
    return np.stack([encode(s, alphabet) for s in seqs])


def test_kmer_features_count_canonical_kmers_of_both_strands():
    from seqnet.baselines import kmer_features

    x = kmer_features(_tokens("AAAC", "GTTT"), DNA).toarray()
    np.testing.assert_allclose(x[0], x[1])  # a sequence and its reverse complement
    assert x.shape[1] == sum(4 ** k for k in range(1, 7))
    np.testing.assert_allclose(x.sum(axis=1), [4.0, 4.0])  # frequencies: 1 per k = 1..4 (4 bases hold no 5-mer)
    single = kmer_features(_tokens("ACGN"), DNA).toarray()[0]
    assert single[:4].tolist() == pytest.approx([1 / 3, 2 / 3, 0.0, 0.0])  # N counts for nothing; A~T, C~G merged
    assert kmer_features(_tokens("ACDE", alphabet=PROTEIN), PROTEIN).shape == (1, 20 + 400)


def test_gc_features():
    from seqnet.baselines import gc_features

    np.testing.assert_allclose(gc_features(_tokens("GGCA", "ATNN"), np.array([4, 2]), DNA), [[0.75, 0.004], [0, 0.002]])


def test_kmer_baseline_learns_a_planted_kmer_and_gc_cannot():
    from seqnet.baselines import baselines
    from seqnet.datasets import SequenceSet

    rng = np.random.default_rng(0)
    n = 400
    tokens = rng.integers(0, 4, (n, 50)).astype(np.uint8)
    y = (np.arange(n) % 2).astype(np.float32)[:, None]
    tokens[y[:, 0] == 1, 20:26] = encode("TAATTA")  # no GC: composition barely moves
    data = SequenceSet(ids=[str(i) for i in range(n)], tokens=tokens, y=y, task_type="binary", names=["t"],
                       alphabet=DNA, groups=np.arange(n))
    parts = {"train": data.subset(np.arange(300)), "valid": data.subset(np.arange(300, 350)),
             "test": data.subset(np.arange(350, 400))}
    found = baselines(parts, "fast")
    assert set(found) == {"gc", "kmer"}
    assert found["kmer"]["auroc"]["t"] > 0.95 > found["gc"]["auroc"]["t"]
    assert found["kmer"]["param"] in (0.01, 0.1, 1.0, 10.0)
    assert baselines(parts, "none") == {}
    assert set(baselines(parts, "all")) == {"gc", "kmer", "gkmer"}


def test_array_baselines_and_bad_level():
    from seqnet.baselines import baselines
    from seqnet.datasets import ArraySet
    from seqnet.errors import ConfigError

    rng = np.random.default_rng(1)
    x = rng.normal(size=(300, 4)).astype(np.float32)
    y = np.digitize(x[:, 0], [-0.5, 0.5]).astype(np.int64)
    data = ArraySet(ids=[str(i) for i in range(300)], x=x, y=y, task_type="multiclass", names=["a", "b", "c"],
                    kind="table")
    parts = {"train": data.subset(np.arange(200)), "valid": data.subset(np.arange(200, 250)),
             "test": data.subset(np.arange(250, 300))}
    found = baselines(parts)
    assert set(found) == {"logistic", "knn"} and found["logistic"]["accuracy"] > 0.8
    with pytest.raises(ConfigError, match="baselines must be one of none, fast, all"):
        baselines(parts, "slow")


def test_confound_checks_see_composition():
    from seqnet.confounds import confound_checks
    from seqnet.datasets import SequenceSet

    rng = np.random.default_rng(2)
    gc_rich = np.where(rng.random((100, 40)) < 0.7, rng.integers(1, 3, (100, 40)), rng.integers(0, 4, (100, 40)))
    at_rich = rng.integers(0, 4, (100, 40))
    tokens = np.concatenate([gc_rich, at_rich]).astype(np.uint8)
    y = np.r_[np.ones(100), np.zeros(100)].astype(np.float32)[:, None]
    test = SequenceSet(ids=[str(i) for i in range(200)], tokens=tokens, y=y, task_type="binary", names=["t"],
                       alphabet=DNA, groups=np.arange(200))

    def gc_model(tok, lengths):  # a "model" that reads composition only
        return np.isin(tok, [1, 2]).mean(axis=1, keepdims=True)

    checks = confound_checks(test, test, gc_model)
    assert checks["gc_auroc"] > 0.9
    assert 0.35 < checks["shuffle_auroc"] < 0.65  # shuffles keep the composition: the model cannot tell


def test_run_keeps_the_evidence(cli, sim, tiny_config, tmp_path):
    out = tmp_path / "run"
    result = cli("train", "--positives", sim.positives_fasta, "--negatives", sim.negatives_fasta, "--config",
                 tiny_config, "--out", out, *TINY)
    assert result.exit_code == 0, result.output
    assert "baseline kmer: mean AUROC" in result.output and "check: GC content alone" in result.output
    metrics = json.loads((out / "metrics.json").read_text())
    assert set(metrics["baselines"]) == {"gc", "kmer"} and set(metrics["checks"]) == {"gc_auroc", "shuffle_auroc"}
    preds = pd.read_csv(out / "test_predictions.tsv", sep="\t")
    assert list(preds.columns) == ["id", "split", "bound_label", "bound"] and len(preds) == metrics["n"]
    assert set(preds.split) == {"test"} and set(preds.bound_label) <= {0, 1}
    for png in ("history.png", "curves.png"):
        assert (out / png).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    page = (out / "report.html").read_text()
    assert page.count("data:image/png;base64,") == 2 and "baseline kmer" in page and "Content-Security-Policy" in page
    log = (out / "train.log").read_text().splitlines()
    assert "seqnet 0." in log[0] and "torch " in log[0] and "device cpu" in log[0]
    assert log[1].split(" ", 1)[1].startswith("command: seqnet train --positives")
    cfg = yaml.safe_load((out / "config.yaml").read_text())
    assert set(cfg["inputs"]) == {"positives", "negatives"}
    assert cfg["inputs"]["positives"]["size"] == sim.positives_fasta.stat().st_size
    # config.yaml given back as a recipe trains (its inputs record is not an option)
    again = cli("train", "--positives", sim.positives_fasta, "--negatives", "shuffle", "--config", out / "config.yaml",
                "--out", tmp_path / "again", "--baselines", "none", *TINY)
    assert again.exit_code == 0, again.output
    assert "baselines" not in json.loads((tmp_path / "again" / "metrics.json").read_text())


def test_evaluate_writes_curves_and_predictions(cli, sim, tiny_config, tmp_path):
    run = tmp_path / "run"
    assert cli("train", "--fasta", sim.multilabel_fasta, "--labels", sim.labels_tsv, "--config", tiny_config,
               "--out", run, "--baselines", "none", *TINY).exit_code == 0
    result = cli("evaluate", run, "--fasta", sim.multilabel_fasta, "--labels", sim.labels_tsv, "--out-dir",
                 tmp_path / "ev", "--predictions", tmp_path / "p.tsv")
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (tmp_path / "ev").iterdir()) == ["curves.png", "metrics.json", "predictions.tsv"]
    table = pd.read_csv(tmp_path / "p.tsv", sep="\t")
    names = list(sim.columns)
    assert list(table.columns) == ["id", *[f"{n}_label" for n in names], *names] and len(table) == 150
