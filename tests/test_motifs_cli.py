"""`seqnet motifs` and `seqnet attribute` end to end on a small planted-motif run."""

from __future__ import annotations

from html.parser import HTMLParser

import numpy as np
import pandas as pd
import pytest

from conftest import write


@pytest.fixture(scope="module")
def motif_run(tmp_path_factory, sim):
    """A small DeepBind model trained on the simulated CTCF-vs-background task."""
    from click.testing import CliRunner

    from seqnet.cli import main

    d = tmp_path_factory.mktemp("motif_run")
    cfg = write(d / "c.yaml", "model_args:\n  n_filters: 16\n  filter_width: 15\n  hidden: 0\n")
    out = d / "run"
    result = CliRunner().invoke(main, ["train", "--positives", str(sim.positives_fasta), "--negatives",
                                       str(sim.negatives_fasta), "--config", str(cfg), "--epochs", "15",
                                       "--batch-size", "32", "--lr", "0.01", "--out", str(out), "--quiet"],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return out


class _Images(HTMLParser):
    def __init__(self):
        super().__init__()
        self.srcs = []

    def handle_starttag(self, tag, attrs):
        if tag == "img":
            self.srcs.append(dict(attrs).get("src", ""))


# memelite rightly warns that p-values against 3 targets lean on those targets' columns
@pytest.mark.filterwarnings("ignore:tomtom was given")
def test_motifs_against_truth_db(motif_run, sim, tmp_path, cli):
    out = tmp_path / "motifs"
    result = cli("motifs", motif_run, "--fasta", sim.positives_fasta, "--negatives", sim.negatives_fasta,
                 "--db", sim.motifs_meme, "--min-sites", 5, "--out", out, "--influence-sequences", 200)
    assert result.exit_code == 0, result.output
    names = {p.name for p in out.iterdir()}
    every = pd.read_csv(out / "all_matches.tsv", sep="\t")
    assert list(every.columns) == ["query", "target_id", "target_name", "p", "q", "e_value", "strand", "offset",
                                   "overlap"]
    assert (every.q < 0.05).all() and "CTCF" in set(every.target_name)
    assert names >= {"all_matches.tsv", "motifs.meme", "motifs.jaspar", "motifs.transfac", "motifs.homer", "matches.tsv",
                     "filters.tsv", "logos", "report.html"}
    table = pd.read_csv(out / "matches.tsv", sep="\t")
    assert list(table.columns) == ["motif", "consensus", "nsites", "information_content", "best_match_id",
                                   "best_match_name", "p", "q", "strand", "influence", "filters"]
    assert len(table) >= 1 and (table.nsites >= 5).all()
    assert table.influence.is_monotonic_decreasing
    filters = pd.read_csv(out / "filters.tsv", sep="\t")
    assert len(filters) == 16 and set(filters.status) <= {"motif", "skipped", "merged"}
    # the model separates CTCF sites from background: its most influential motif is CTCF
    assert table.best_match_name.iloc[0] == "CTCF" and table.q.iloc[0] < 0.05
    parser = _Images()
    parser.feed((out / "report.html").read_text())
    assert len(parser.srcs) == len(table) and all(s.startswith("data:image/png;base64,") for s in parser.srcs)
    from memelite.io import read_meme

    assert len(read_meme(str(out / "motifs.meme"))) == len(table)


def test_motifs_default_jaspar(motif_run, sim, tmp_path, cli):
    out = tmp_path / "motifs"
    result = cli("motifs", motif_run, "--fasta", sim.positives_fasta, "--min-sites", 5, "--out", out)
    assert result.exit_code == 0, result.output
    table = pd.read_csv(out / "matches.tsv", sep="\t")
    assert table.best_match_id.str.match(r"^MA\d{4}\.\d+$").all()
    assert "JASPAR CORE vertebrates" in (out / "report.html").read_text()


def test_motifs_errors(motif_run, sim, tmp_path, cli):
    from test_cli import _fails

    _fails(cli("motifs", motif_run, "--fasta", sim.positives_fasta, "--out", tmp_path / "m", "--threshold", 1.5),
           "--threshold must be in [0, 1)")
    _fails(cli("motifs", motif_run, "--fasta", sim.positives_fasta, "--out", tmp_path / "m",
               "--jaspar-release", "JASPAR1999"), "JASPAR1999")
    _fails(cli("motifs", motif_run, "--fasta", tmp_path / "none.fa", "--out", tmp_path / "m"), "none.fa: no such file")
    assert not (tmp_path / "m").exists()


def test_motifs_model_without_conv(sim, tmp_path, cli):
    from test_cli import _fails

    cfg = write(tmp_path / "c.yaml", "model: lstm\nmodel_args:\n  lstm_hidden: 4\n  hidden: 4\n")
    run = tmp_path / "lstm"
    assert cli("train", "--positives", sim.positives_fasta, "--negatives", "shuffle", "--config", cfg,
               "--epochs", 1, "--out", run, "--quiet").exit_code == 0
    _fails(cli("motifs", run, "--fasta", sim.positives_fasta, "--out", tmp_path / "m"),
           "model 'lstm' has no convolutional first layer")


def test_attribute(motif_run, sim, tmp_path, cli):
    from seqnet.io.fasta import read_fasta, write_fasta

    ids, seqs = read_fasta(sim.positives_fasta)
    small = tmp_path / "few.fa"
    write_fasta(small, ids[:6], seqs[:6])
    out = tmp_path / "attr"
    result = cli("attribute", motif_run, "--fasta", small, "--out", out, "--top", 2)
    assert result.exit_code == 0, result.output
    npz = np.load(out / "attributions.npz")
    assert npz["saliency"].shape == npz["ism"].shape == (6, 4, 80)
    plots = sorted(p.name for p in (out / "plots").iterdir())
    assert len(plots) == 4 and plots[0].startswith("001_") and plots[0].endswith(".ism.png")
    preds = pd.read_csv(out / "predictions.tsv", sep="\t")
    assert preds.plotted.sum() == 2 and preds.loc[preds.plotted, "bound"].min() >= \
        preds.loc[~preds.plotted, "bound"].max()
    from test_cli import _fails

    _fails(cli("attribute", motif_run, "--fasta", small, "--out", tmp_path / "a2", "--methods", "shap"),
           "--methods: unknown shap")
    _fails(cli("attribute", motif_run, "--fasta", small, "--out", tmp_path / "a2", "--target", "nope"),
           "--target 'nope'")
