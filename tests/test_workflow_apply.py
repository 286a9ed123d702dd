"""The workflow's optional apply steps (rules/apply.smk): scan and variants for a trained model."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

pytest.importorskip("snakemake", reason="snakemake is not installed (pip install 'seqnet[workflow]')")

WORKFLOW = Path(__file__).resolve().parents[1] / "workflows"


def snakemake(workdir: Path, *args: str) -> subprocess.CompletedProcess:
    env_path = str(Path(sys.executable).parent)
    import os

    env = {**os.environ, "PATH": env_path + os.pathsep + os.environ.get("PATH", "")}
    return subprocess.run([sys.executable, "-m", "snakemake", "-s", str(WORKFLOW / "Snakefile"), "--directory",
                           str(workdir), "--configfile", str(workdir / "config" / "apply.yaml"), *args],
                          capture_output=True, text=True, timeout=900, env=env)


@pytest.fixture(scope="module")
def work(tmp_path_factory):
    dest = tmp_path_factory.mktemp("wf") / "test"
    shutil.copytree(WORKFLOW / ".test", dest, ignore=shutil.ignore_patterns(".snakemake", "results", "*.fai"))
    return dest


def test_dry_run_plans_scan_and_variants_for_every_run(work):
    proc = snakemake(work, "--cores", "1", "--dry-run")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    for rule in ("scan", "variants"):
        assert rule in proc.stdout


def test_scan_and_variants_of_one_sample(work):
    targets = ["results/gata/seed0/scan/summary.json", "results/gata/seed0/variants/variants.tsv"]
    proc = snakemake(work, "--cores", "2", *targets)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    out = work / "results" / "gata" / "seed0"
    summary = json.loads((out / "scan" / "summary.json").read_text())
    assert summary["scored"] > 0 and summary["stride"] == 50 and summary["shared_trunk"]
    task = summary["tasks"][0]
    assert (out / "scan" / f"{task}.bw").is_file() and (out / "scan" / f"{task}.peaks.bed").is_file()
    table = pd.read_csv(out / "variants" / "variants.tsv", sep="\t")
    assert len(table) == 23 and (table.ref_status == "match").sum() == 22
    assert table.ref_status.iloc[-1] == "skipped" and (out / "variants" / "ism" / "ism.npz").is_file()
    assert (work / "results" / "logs" / "scan" / "gata.seed0.log").is_file()
