"""The CLI on the real ChIP-seq files in ../shared/data (skipped when absent).

Small models and one or two epochs: these check that real files go through every input
path end to end and that the model learns something, not the accuracy targets (those are
in benchmarks/).
"""

from __future__ import annotations

import json

from conftest import write


def test_oct4_vs_mafk_fasta(shared_data, cli, tmp_path):
    d = shared_data / "chipseq_oct4_mafk"
    cfg = write(tmp_path / "c.yaml", "model_args:\n  n_filters: 16\n  filter_width: 15\n")
    out = tmp_path / "run"
    result = cli("train", "--positives", d / "oct4_train.fa", "--negatives", d / "mafk_train.fa", "--config", cfg,
                 "--epochs", 2, "--batch-size", 128, "--out", out, "--quiet")
    assert result.exit_code == 0, result.output
    metrics_path = tmp_path / "test.json"
    result = cli("evaluate", out, "--positives", d / "oct4_test.fa", "--negatives", d / "mafk_test.fa",
                 "--out", metrics_path)
    assert result.exit_code == 0, result.output
    metrics = json.loads(metrics_path.read_text())
    assert metrics["n"] == 200
    assert metrics["auroc"]["mean"] > 0.75


def test_pseudo_genome_bed_tiles(shared_data, cli, tmp_path):
    """scores.bed marks the Oct4 half of each contig: tiled into 200-bp windows these are the
    Oct4 peaks; GC-matched genomic negatives come from the MafK half; pseudo2 is held out."""
    d = shared_data / "chipseq_oct4_mafk"
    cfg = write(tmp_path / "c.yaml", "model_args:\n  n_filters: 16\n  filter_width: 15\n")
    out = tmp_path / "run"
    result = cli("train", "--bed", d / "scores.bed", "--genome", d / "pseudo_genome.fa", "--tile", "--length", 200,
                 "--negatives", "genome", "--test-chroms", "pseudo2", "--config", cfg, "--epochs", 1,
                 "--batch-size", 128, "--out", out, "--quiet")
    assert result.exit_code == 0, result.output
    log = (out / "train.log").read_text()
    assert "7994 records" in log  # 3,897 + 100 Oct4 windows and as many negatives
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["n"] > 150 and metrics["auroc"]["mean"] > 0.6
    assert not list(tmp_path.glob(".run.partial*"))


def test_sample_protein_fasta_reads(shared_data):
    from seqnet.kinds.sequence_loaders import encode_records
    from seqnet.alphabets import PROTEIN
    from seqnet.io.fasta import read_fasta

    ids, seqs = read_fasta(shared_data / "sample_protein.fa")
    tokens = encode_records(ids, seqs, PROTEIN, "sample_protein.fa")
    assert len(ids) >= 2 and all(len(t) == len(s) for t, s in zip(tokens, seqs))
