"""The Snakemake workflow (workflows/): the .test configuration end to end, lint, config errors.

Snakemake is an optional extra (``pip install 'seqnet[workflow]'``; ``make test`` installs
it); without it these tests skip.  Every run works on a copy of ``workflows/.test`` in a
temporary folder, so nothing is written into the repository.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

pytest.importorskip("snakemake", reason="snakemake is not installed (pip install 'seqnet[workflow]')")

ROOT = Path(__file__).resolve().parents[1]
WORKFLOW = ROOT / "workflows"
SNAKEFILE = WORKFLOW / "Snakefile"


def snakemake(workdir: Path, *args: str, timeout: int = 600) -> subprocess.CompletedProcess:
    """Run ``snakemake -s workflows/Snakefile --directory WORKDIR ARGS`` with seqnet on PATH."""
    env = dict(os.environ)
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    env["OMP_NUM_THREADS"] = "1"  # the test jobs are tiny: threads only add hand-offs
    return subprocess.run(
        [sys.executable, "-m", "snakemake", "-s", str(SNAKEFILE), "--directory", str(workdir), *args],
        capture_output=True, text=True, timeout=timeout, env=env, check=False,
    )


def copy_test_dir(dest: Path) -> Path:
    shutil.copytree(WORKFLOW / ".test", dest, ignore=shutil.ignore_patterns(".snakemake", "results", "*.fai"))
    return dest


@pytest.fixture(scope="module")
def finished(tmp_path_factory):
    """The .test workflow run to the end with 2 cores."""
    before = sorted(p.name for p in (WORKFLOW / ".test").iterdir())
    work = copy_test_dir(tmp_path_factory.mktemp("wf") / "test")
    proc = snakemake(work, "--cores", "2")
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-5000:]
    assert sorted(p.name for p in (WORKFLOW / ".test").iterdir()) == before  # nothing written into the repo
    return work


@pytest.mark.slow
def test_outputs(finished):
    res = finished / "results"
    for sample in ("peaks", "gata"):
        for name in ("data/positives.fa", "data/negatives.fa", "seed0/run/model.pt", "seed0/run/metrics.json",
                     "seed0/motifs/report.html", "seed0/motifs/matches.tsv", "seed0/motifs/motifs.meme"):
            assert (res / sample / name).is_file(), f"{sample}/{name}"
    assert (res / "gata" / "seed0" / "evaluate.json").is_file()
    assert (res / "gata" / "data" / "test_positives.fa").is_file()
    assert not (res / "peaks" / "seed0" / "evaluate.json").exists()  # no test set: train's held-out split
    for log in ("prepare/peaks.log", "prepare/gata.log", "prepare_test/gata.log", "train/peaks.seed0.log",
                "train/gata.seed0.log", "evaluate/gata.seed0.log", "motifs/peaks.seed0.log",
                "motifs/gata.seed0.log", "summary.log"):
        assert (res / "logs" / log).is_file(), log
    # peaks: BED windows of the configured 100 bp, GC-matched genomic negatives
    assert "120 positives" in (res / "logs" / "prepare" / "peaks.log").read_text()
    assert "(genome)" in (res / "logs" / "prepare" / "peaks.log").read_text()


@pytest.mark.slow
def test_summary(finished):
    res = finished / "results"
    table = pd.read_csv(res / "summary.tsv", sep="\t")
    assert list(table["sample"]) == ["peaks", "gata"]
    assert list(table.test_set) == ["train split", "external"]
    assert list(table.n) == [24, 100]  # 10 % of 240 records; the 100-row test table
    assert table.auroc.between(0, 1).all() and (table.model == "deepbind").all() and (table.seed == 0).all()
    assert (table.motifs > 0).all()
    assert list(table.report) == ["peaks/seed0/motifs/report.html", "gata/seed0/motifs/report.html"]
    # gata: positives carry GATA1, and CTCF decoys that their shuffled negatives lose; the
    # tiny test model leans on the CTCF decoys (named, raising P(positives)) and reads GATA1
    # only weakly (external AUROC ~0.6): its motif is there, best matched by GATA1, but
    # its few sharp sites do not make the match significant
    matches = pd.read_csv(res / "gata" / "seed0" / "motifs" / "matches.tsv", sep="\t")
    ctcf = matches[(matches.best_match_name == "CTCF") & (matches.q < 0.05)]
    assert len(ctcf) == 1 and ctcf.direction.iloc[0] == "raises P(positives)"
    assert "GATA1" in set(matches.best_match_name)
    assert matches.best_match_name[matches.q < 0.05].is_unique  # one motif per factor
    page = (res / "index.html").read_text()
    links = re.findall(r'href="([^"]+)"', page)
    assert links == ["summary.tsv", "peaks/seed0/motifs/report.html", "gata/seed0/motifs/report.html"]
    assert all((res / link).is_file() for link in links)


@pytest.mark.slow
def test_rerun_has_nothing_to_do(finished):
    proc = snakemake(finished, "--cores", "2", "--dry-run")
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "Nothing to be done" in proc.stdout + proc.stderr


def test_lint(tmp_path):
    proc = snakemake(copy_test_dir(tmp_path / "test"), "--lint")
    assert proc.returncode == 0, proc.stdout + proc.stderr


def _dry_run_error(tmp_path, config_text: str, samples: str | None = None) -> str:
    work = copy_test_dir(tmp_path / "test")
    (work / "config" / "config.yaml").write_text(config_text)
    if samples is not None:
        (work / "config" / "samples.tsv").write_text(samples)
    proc = snakemake(work, "--cores", "1", "--dry-run")
    assert proc.returncode != 0
    return proc.stdout + proc.stderr


def test_config_schema_error(tmp_path):
    out = _dry_run_error(tmp_path, "samples: config/samples.tsv\ndevice: gpu\n")
    assert "device" in out and "'gpu' does not match" in out


def test_sample_with_two_inputs(tmp_path):
    out = _dry_run_error(
        tmp_path, "samples: config/samples.tsv\n",
        "sample\tbed\tgenome\tpositives\nboth\tdata/peaks.bed\tdata/genome.fa\tdata/gata_positives.fa\n",
    )
    assert "config/samples.tsv: sample 'both': give exactly one of bed (with genome), positives or table" in out


def test_sample_genome_negatives_need_bed(tmp_path):
    out = _dry_run_error(
        tmp_path, "samples:\n  s1:\n    positives: data/gata_positives.fa\n    negatives: genome\n",
    )
    assert "config 'samples': sample 's1': negatives: genome needs bed peaks" in out


def test_samples_table_missing(tmp_path):
    out = _dry_run_error(tmp_path, "samples: config/nope.tsv\n")
    assert "samples table config/nope.tsv: no such file" in out


def test_seeds_and_per_sample_settings_dry_run(tmp_path):
    """Global seeds, a per-sample override in the samples table, and the summary's run names."""
    work = copy_test_dir(tmp_path / "test")
    (work / "config" / "config.yaml").write_text("samples: config/samples.tsv\nseeds: [0, 1]\ndevice: cuda\n")
    (work / "config" / "samples.tsv").write_text(
        "sample\tpositives\tseeds\tmodel\ttrain_args\n"
        "a\tdata/gata_positives.fa\t\t\t\n"
        "b\tdata/gata_positives.fa\t7\tdanq\t--epochs 3\n"
    )
    proc = snakemake(work, "--cores", "1", "--dry-run", "--printshellcmds")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    out = proc.stdout
    assert re.search(r"^train\s+3$", out, re.MULTILINE) and re.search(r"^motifs\s+3$", out, re.MULTILINE)
    assert not re.search(r"^evaluate\s", out, re.MULTILINE)  # no sample has a test set
    assert "--seed 7 --model danq --device cuda --epochs 3" in out
    assert "--run a_seed0=results/a/seed0/run --motifs a_seed0=results/a/seed0/motifs" in out
    assert "--run b=results/b/seed7/run" in out
    assert "gpu=1" in out  # device cuda: the GPU steps request one
