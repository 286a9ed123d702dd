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


@pytest.fixture(scope="module")
def run100(tmp_path_factory):
    """Simulated CTCF positives vs background of 100 bp (TF-MoDISco's shortest) and a small
    DeepBind model trained on them."""
    from click.testing import CliRunner

    from seqnet.cli import main
    from seqnet.simulate import simulate

    d = tmp_path_factory.mktemp("run100")
    data = simulate(d / "sim", n=150, length=100, seed=5, motifs=["CTCF", "MA0080"])
    cfg = write(d / "c.yaml", "model_args:\n  n_filters: 16\n  filter_width: 15\n  hidden: 0\n")
    result = CliRunner().invoke(main, ["train", "--positives", str(data.positives_fasta), "--negatives",
                                       str(data.negatives_fasta), "--config", str(cfg), "--epochs", "15",
                                       "--batch-size", "32", "--lr", "0.01", "--out", str(d / "run"), "--quiet"],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return d / "run", data


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
                 "--db", sim.motifs_meme, "--min-sites", 5, "--out", out, "--influence-sequences", 200,
                 "--method", "filters")
    assert result.exit_code == 0, result.output
    names = {p.name for p in out.iterdir()}
    every = pd.read_csv(out / "all_matches.tsv", sep="\t")
    assert list(every.columns) == ["query", "target_id", "target_name", "p", "q", "e_value", "strand", "offset",
                                   "overlap"]
    assert (every.q < 0.05).all() and "CTCF" in set(every.target_name)
    assert names >= {"all_matches.tsv", "motifs.meme", "motifs.jaspar", "motifs.transfac", "motifs.homer", "matches.tsv",
                     "other_motifs.tsv", "filters.tsv", "logos", "report.html"}
    assert "modisco" not in names  # --method filters
    from seqnet.motifs.tables import MATCH_TABLE_COLUMNS

    table = pd.read_csv(out / "matches.tsv", sep="\t")
    assert list(table.columns) == MATCH_TABLE_COLUMNS
    assert len(table) >= 1 and (table.nsites >= 5).all() and (table.method == "filters").all()
    assert table.influence.abs().is_monotonic_decreasing
    # the model separates CTCF sites from background: its most influential motif is CTCF, raising P(positives)
    top = table.iloc[0]
    assert top.best_match_name == "CTCF" and top.q < 0.05 and top["name"] == "CTCF"
    assert top.direction == "raises P(positives)" and top.influence > 0
    assert top.sequences_with_site.startswith("positives ") and "negatives " in top.sequences_with_site
    assert top.site_enrichment > 2
    filters = pd.read_csv(out / "filters.tsv", sep="\t")
    assert len(filters) == 16 and set(filters.status) <= {"motif", "skipped"}
    assert set(filters.motif.dropna()) <= set(table.motif) | set(pd.read_csv(out / "other_motifs.tsv", sep="\t").motif)
    parser = _Images()
    parser.feed((out / "report.html").read_text())
    assert len(parser.srcs) >= len(table) and all(s.startswith("data:image/png;base64,") for s in parser.srcs)
    # MEME: the ID alone on the MOTIF line (memelite and Biopython read it), no made-up E-value
    from Bio import motifs as bio_motifs
    from memelite.io import read_meme

    assert list(read_meme(str(out / "motifs.meme"))) == list(table.motif)
    with open(out / "motifs.meme") as fh:
        assert [m.name for m in bio_motifs.parse(fh, "minimal")] == list(table.motif)
    assert "E=" not in (out / "motifs.meme").read_text()


def test_motifs_both_methods_default_jaspar(run100, tmp_path, cli):
    run, sim = run100
    out = tmp_path / "motifs"
    result = cli("motifs", run, "--fasta", sim.positives_fasta, "--negatives", sim.negatives_fasta,
                 "--min-sites", 5, "--out", out, "--shuffles", 3)
    assert result.exit_code == 0, result.output
    table = pd.read_csv(out / "matches.tsv", sep="\t")
    sig = table[table.q < 0.05]
    assert sig.best_match_id.str.match(r"^MA\d{4}\.\d+$").all() and "CTCF" in set(sig["name"])
    text = (out / "report.html").read_text()
    assert "JASPAR CORE vertebrates" in text and "TF-MoDISco patterns" in text and "DeepLIFT/SHAP" in text
    assert "worst convergence delta" in text and "Where the time went" in text
    modisco = {p.name for p in (out / "modisco").iterdir()}
    assert modisco >= {"patterns.meme", "patterns.jaspar", "patterns.transfac", "patterns.homer", "patterns.tsv",
                       "seqlets.tsv"}
    # progress: every long step says what it does and how long it took
    for step in ("finding filter sites", "clustering filter motifs", "influence", "DeepLIFT/SHAP attributions",
                 "TF-MoDISco", "naming motifs"):
        assert step in result.stderr, step
    assert "done in" in result.stderr and "report:" in result.output
    quiet = cli("motifs", run, "--fasta", sim.positives_fasta, "--min-sites", 5, "--out", tmp_path / "q",
                "--method", "filters", "--quiet")
    assert quiet.exit_code == 0 and quiet.stderr == ""


def test_motifs_short_sequences_fall_back_to_filters(motif_run, sim, tmp_path, cli):
    from test_cli import _fails

    result = cli("motifs", motif_run, "--fasta", sim.positives_fasta, "--negatives", sim.negatives_fasta,
                 "--min-sites", 5, "--out", tmp_path / "m")
    assert result.exit_code == 0, result.output
    assert "warning: TF-MoDISco needs sequences of at least 100 bases; this model reads 80" in result.stderr
    assert not (tmp_path / "m" / "modisco").exists()
    _fails(cli("motifs", motif_run, "--fasta", sim.positives_fasta, "--out", tmp_path / "m2", "--method", "modisco"),
           "--method modisco: TF-MoDISco needs sequences of at least 100 bases")


def test_motifs_errors(motif_run, sim, run100, tmp_path, cli):
    from test_cli import _fails

    _fails(cli("motifs", motif_run, "--fasta", sim.positives_fasta, "--out", tmp_path / "m", "--threshold", 1.5),
           "--threshold must be in [0, 1)")
    _fails(cli("motifs", motif_run, "--fasta", sim.positives_fasta, "--out", tmp_path / "m",
               "--jaspar-release", "JASPAR1999"), "JASPAR1999")
    _fails(cli("motifs", motif_run, "--fasta", tmp_path / "none.fa", "--out", tmp_path / "m"), "none.fa: no such file")
    _fails(cli("motifs", run100[0], "--fasta", run100[1].positives_fasta, "--out", tmp_path / "m", "--method", "modisco",
               "--attribution-sequences", 50),
           "--method modisco: TF-MoDISco needs at least 100 sequences to attribute, got 50", "--method filters")
    empty = write(tmp_path / "empty.fa", "")
    _fails(cli("motifs", motif_run, "--fasta", empty, "--out", tmp_path / "m"), "empty.fa")
    protein = write(tmp_path / "protein.fa", ">p1\nMKVLEEQWRPLLFHHJ\n")
    _fails(cli("motifs", motif_run, "--fasta", protein, "--out", tmp_path / "m"), "protein.fa", "p1")
    _fails(cli("motifs", motif_run, "--fasta", sim.positives_fasta, "--out", tmp_path / "m", "--site-fpr", 0),
           "--site-fpr must be in (0, 1)")
    assert not (tmp_path / "m").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".m")]  # no scratch or lock left


def test_motifs_model_without_conv(sim, tmp_path, cli):
    from test_cli import _fails

    cfg = write(tmp_path / "c.yaml", "model: lstm\nmodel_args:\n  lstm_hidden: 4\n  hidden: 4\n")
    run = tmp_path / "lstm"
    assert cli("train", "--positives", sim.positives_fasta, "--negatives", "shuffle", "--config", cfg,
               "--epochs", 1, "--out", run, "--quiet").exit_code == 0
    _fails(cli("motifs", run, "--fasta", sim.positives_fasta, "--out", tmp_path / "m"),
           "model 'lstm' has no convolutional first layer", "--method modisco reads attributions instead")
    assert not (tmp_path / "m").exists()


def test_attribute(motif_run, sim, tmp_path, cli):
    from seqnet.io.fasta import read_fasta, write_fasta

    ids, seqs = read_fasta(sim.positives_fasta)
    small = tmp_path / "few.fa"
    write_fasta(small, ids[:6], seqs[:6])
    out = tmp_path / "attr"
    result = cli("attribute", motif_run, "--fasta", small, "--out", out, "--top", 2, "--shuffles", 4)
    assert result.exit_code == 0, result.output
    npz = np.load(out / "attributions.npz")
    assert npz["saliency"].shape == npz["ism"].shape == npz["deepliftshap"].shape == (6, 4, 80)
    plots = sorted(p.name for p in (out / "plots").iterdir())
    assert len(plots) == 6 and plots[0].startswith("001_") and plots[0].endswith(".deepliftshap.png")
    preds = pd.read_csv(out / "predictions.tsv", sep="\t")
    task = preds.columns[1]
    assert preds.plotted.sum() == 2 and preds.loc[preds.plotted, task].min() >= preds.loc[~preds.plotted, task].max()
    assert (preds.deeplift_delta < 1e-3).all() and "worst convergence delta" in result.output
    from test_cli import _fails

    _fails(cli("attribute", motif_run, "--fasta", small, "--out", tmp_path / "a2", "--methods", "shap"),
           "--methods: unknown shap")
    _fails(cli("attribute", motif_run, "--fasta", small, "--out", tmp_path / "a2", "--target", "nope"),
           "--target 'nope'")
