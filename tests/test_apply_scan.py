"""seqnet scan: tracks from sliding windows, equal to seqnet predict on the same windows."""

from __future__ import annotations

import gzip
import json

import numpy as np
import pandas as pd
import pytest

from apply_helpers import make_genome, make_run


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    root = tmp_path_factory.mktemp("scan")
    seqs = make_genome(root / "genome.fa")
    return {"root": root, "genome": root / "genome.fa", "seqs": seqs, "run": make_run(root / "run", length=60),
            "both": make_run(root / "both", length=60, seed=1, both_strands=True, filter_width=9)}


def _windows(out):
    with gzip.open(out / "windows.tsv.gz", "rt") as fh:
        return pd.read_csv(fh, sep="\t")


def _predict_windows(run, seqs, table, tmp_path, rc):
    from seqnet.inputs import InputSpec
    from seqnet.predict import predict_table

    fa = tmp_path / "w.fa"
    fa.write_text("".join(f">{c}:{s}-{e}\n{seqs[c][s:e]}\n" for c, s, e in zip(table.chrom, table.start, table.end)))
    return predict_table(run, InputSpec(fasta=fa), rc_average=rc, device="cpu")


@pytest.mark.parametrize("model,strand", [("run", "plus"), ("run", "both"), ("both", "both")])
def test_scan_equals_predict_on_the_windows(world, cli, tmp_path, model, strand):
    out = tmp_path / "scan"
    result = cli("scan", world[model], "--genome", world["genome"], "--stride", 23, "--strand", strand,
                 "--out", out, "--quiet", "--device", "cpu")
    assert result.exit_code == 0, result.output
    assert "shared convolution" in result.output
    table = _windows(out)
    assert list(table.columns) == ["chrom", "start", "end", "a", "b"]
    assert ((table.end - table.start) == 60).all()
    pred = _predict_windows(world[model], world["seqs"], table, tmp_path, strand == "both")
    np.testing.assert_allclose(table[["a", "b"]].to_numpy(), pred[["a", "b"]].to_numpy(), atol=1e-6)


def test_tracks_cover_stride_bases_at_window_centres(world, tmp_path):
    import pyBigWig

    from seqnet.apply.scan import scan

    out = tmp_path / "scan"
    summary = scan(world["run"], world["genome"], out, stride=20, chroms=["chr2"], device="cpu", quiet=True)
    table = _windows(out)
    graph = pd.read_csv(out / "a.bedGraph", sep="\t", header=None, names=["chrom", "start", "end", "v"])
    assert (graph.start.to_numpy() == table.start.to_numpy() + 30 - 10).all()
    assert ((graph.end - graph.start) == 20).all() and (graph.start.to_numpy()[1:] == graph.end.to_numpy()[:-1]).all()
    np.testing.assert_allclose(graph.v, table.a, rtol=1e-5)
    bw = pyBigWig.open(str(out / "a.bw"))
    assert bw.chroms() == {"chr2": 1700}
    values = np.array([v for _, _, v in bw.intervals("chr2")])
    np.testing.assert_allclose(values, graph.v, rtol=1e-5)
    assert summary["windows"] == (1700 - 60) // 20 + 1 == summary["scored"]
    assert json.loads((out / "summary.json").read_text())["windows"] == summary["windows"]


def test_n_only_windows_are_skipped_and_counted(world, tmp_path):
    from seqnet.apply.scan import scan

    summary = scan(world["run"], world["genome"], tmp_path / "s", stride=20, chroms=["chr1"], device="cpu",
                   quiet=True)
    # chr1[1000:1400] is N: windows starting 1000, 1020, ..., 1340 hold only N
    assert summary["skipped_n_only"] == 18
    assert summary["scored"] == summary["windows"] - 18 and summary["scored_with_n"] > 0
    table = _windows(tmp_path / "s")
    assert not ((table.start >= 1000) & (table.end <= 1400)).any()


def test_plain_path_equals_shared_path(world, tmp_path):
    from seqnet.apply.scan import scan

    a = scan(world["both"], world["genome"], tmp_path / "a", stride=7, device="cpu", quiet=True, chunk=500)
    b = scan(world["both"], world["genome"], tmp_path / "b", stride=7, device="cpu", quiet=True, shared=False)
    assert a["shared_trunk"] and not b["shared_trunk"]
    np.testing.assert_allclose(_windows(tmp_path / "a")[["a", "b"]], _windows(tmp_path / "b")[["a", "b"]], atol=2e-6)


def test_other_models_scan_with_per_window_passes(world, cli, tmp_path):
    run = make_run(tmp_path / "dil", model="dilated", length=40, names=("x",), channels=4)
    out = tmp_path / "scan"
    result = cli("scan", run, "--genome", world["genome"], "--chroms", "chr2", "--stride", 50, "--out", out,
                 "--quiet", "--strand", "plus")
    assert result.exit_code == 0, result.output
    assert "per-window passes" in result.output
    table = _windows(out)
    pred = _predict_windows(run, world["seqs"], table, tmp_path, False)
    np.testing.assert_allclose(table.x, pred.x, atol=1e-6)


def test_bed_regions_are_merged_and_peaks_written(world, cli, tmp_path):
    bed = tmp_path / "r.bed"
    bed.write_text("chr2\t100\t400\nchr1\t0\t200\nchr2\t300\t500\nchr2\t10\t50\n")
    out = tmp_path / "scan"
    result = cli("scan", world["run"], "--genome", world["genome"], "--bed", bed, "--stride", 10, "--peaks", 0.0,
                 "--out", out, "--quiet")
    assert result.exit_code == 0, result.output
    table = _windows(out)
    assert list(dict.fromkeys(table.chrom)) == ["chr1", "chr2"]  # genome order
    two = table[table.chrom == "chr2"]
    assert two.start.min() == 100 and two.end.max() <= 500 and len(two) == (400 - 60) // 10 + 1
    peaks = (out / "a.peaks.bed").read_text().splitlines()
    assert peaks[0].startswith("chr1\t0\t200\ta_peak1") and peaks[1].startswith("chr2\t100\t500\ta_peak2")
    summary = json.loads((out / "summary.json").read_text())
    assert summary["regions"] == 2 + 1 and summary["regions_too_short"] == 1  # chr2:10-50 < 60 bp
    assert "shorter than the model's input" in result.stderr


@pytest.mark.parametrize("args,message", [
    (["--chroms", "chrZ"], "Error: --chroms: unknown chromosome 'chrZ' (genome has: chr1, chr2)"),
    (["--bed", "BED:chrQ\t0\t100\n"], "r.bed: line 1: unknown chromosome 'chrQ'"),
    (["--bed", "BED:chr1\t0\t100\nchr1\t10\t5000\n"], "r.bed: line 2: interval chr1:10-5000 ends past the end of chr1 (3000 bp)"),
    (["--bed", "BED:chr1\t0\n"], "r.bed: line 1: expected at least 3 tab-separated columns"),
    (["--bed", "BED:chr1\t0\t100\n", "--chroms", "chr1"], "give --bed or --chroms, not both"),
])
def test_bad_input_is_one_line_and_writes_nothing(world, cli, tmp_path, args, message):
    args = list(args)
    for k, a in enumerate(args):
        if a.startswith("BED:"):
            (tmp_path / "r.bed").write_text(a[4:])
            args[k] = tmp_path / "r.bed"
    out = tmp_path / "scan"
    result = cli("scan", world["run"], "--genome", world["genome"], "--out", out, "--quiet", *args)
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: ") and message in lines[0], result.stderr
    assert not out.exists() and not [p for p in tmp_path.iterdir() if p.name.startswith(".scan")]


def test_protein_and_array_models_are_refused(world, cli, tmp_path):
    run = make_run(tmp_path / "prot", alphabet="protein", length=30, filter_width=5)
    result = cli("scan", run, "--genome", world["genome"], "--out", tmp_path / "s")
    assert result.exit_code == 1
    assert "seqnet scan reads a DNA genome; this model reads protein sequences" in result.stderr


def test_genome_with_other_letters_is_an_error(world, cli, tmp_path):
    g = tmp_path / "g.fa"
    g.write_text(">c\n" + "ACGT" * 30 + "\n" + "ACG-" + "ACGT" * 29 + "\n")
    result = cli("scan", world["run"], "--genome", g, "--out", tmp_path / "s", "--quiet")
    assert result.exit_code == 1 and "g.fa: record 'c': invalid character '-' at position 124" in result.stderr


def test_output_is_never_an_input(world, cli, tmp_path):
    result = cli("scan", world["run"], "--genome", world["genome"], "--out", world["run"])
    assert result.exit_code == 1
    assert "an output never replaces an input" in result.stderr or "holds the" in result.stderr
