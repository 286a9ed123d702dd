"""Long runs: ``seqnet train --resume`` after a kill, non-finite losses, and DDP under torchrun
(2 CPU processes, gloo)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from conftest import TINY

SEQNET = [sys.executable, "-m", "seqnet"]


def _env() -> dict:
    env = dict(os.environ, OMP_NUM_THREADS="1", PYTHONUNBUFFERED="1")
    env.pop("WORLD_SIZE", None)
    return env


def _train_args(sim, out: Path, epochs: int, tiny_config: Path) -> list[str]:
    return ["train", "--positives", str(sim.positives_fasta), "--negatives", "shuffle", "--out", str(out),
            "--config", str(tiny_config), "--epochs", str(epochs), "--patience", "100", "--batch-size", "16",
            "--seed", "5", "--quiet", "--device", "cpu"]


def test_resume_after_kill_matches_uninterrupted_run(sim, tiny_config, tmp_path):
    full = tmp_path / "full"
    subprocess.run(SEQNET + _train_args(sim, full, 6, tiny_config), check=True, env=_env(), capture_output=True)

    cut = tmp_path / "cut"
    state = tmp_path / ".cut.last.pt"
    proc = subprocess.Popen(SEQNET + _train_args(sim, cut, 6, tiny_config), env=_env(),
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    # Kill it hard once it has finished at least two epochs (the state file says which).
    deadline = time.time() + 120
    epoch = 0
    while time.time() < deadline and proc.poll() is None:
        if state.exists():
            import torch

            try:
                epoch = torch.load(state, map_location="cpu", weights_only=False)["epoch"]
            except Exception:  # being replaced right now
                epoch = 0
            if epoch >= 2:
                break
        time.sleep(0.05)
    if proc.poll() is not None:
        pytest.skip("the run finished before it could be killed (machine too fast for this test)")
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert not cut.exists() and state.exists()

    result = subprocess.run(SEQNET + ["train", "--resume", str(cut), "--quiet"], env=_env(),
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert not state.exists()  # done: the resume state is cleaned up
    assert json.loads((cut / "metrics.json").read_text()) == json.loads((full / "metrics.json").read_text())
    a = pd.read_csv(full / "history.csv").drop(columns="seconds")
    b = pd.read_csv(cut / "history.csv").drop(columns="seconds")
    pd.testing.assert_frame_equal(a, b)
    assert "resumed from epoch" in (cut / "train.log").read_text()


def test_resume_errors(cli, tmp_path):
    result = cli("train", "--resume", tmp_path / "nothing")
    assert result.exit_code == 1
    assert result.output.strip() == (
        f"Error: --resume {tmp_path / 'nothing'}: no interrupted run to resume "
        f"(expected {tmp_path / '.nothing.last.pt'})"
    )
    junk = tmp_path / ".junk.last.pt"
    junk.write_bytes(b"not a checkpoint")
    result = cli("train", "--resume", tmp_path / "junk")
    assert result.exit_code == 1
    assert result.output.startswith(f"Error: {junk}: not a seqnet resume state")


def test_nan_loss_stops_with_message(sim, tiny_config, tmp_path, cli):
    out = tmp_path / "run"
    args = _train_args(sim, out, 3, tiny_config)
    args[args.index("--device") + 1] = "cpu"
    result = cli(*args, "--lr", "1e30")
    assert result.exit_code == 1
    assert result.output.startswith("Error: training diverged at epoch 1: the loss is ")
    assert not out.exists()


def test_torchrun_two_cpu_processes(sim, tiny_config, tmp_path):
    out = tmp_path / "ddp"
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2", "-m", "seqnet",
           *_train_args(sim, out, 2, tiny_config)]
    result = subprocess.run(cmd, env=_env(), capture_output=True, text=True, timeout=280)
    assert result.returncode == 0, result.stderr[-3000:]
    assert sorted(p.name for p in out.iterdir()) == ["config.yaml", "curves.png", "history.csv", "history.png",
                                                      "metrics.json", "model.pt", "report.html",
                                                      "test_predictions.tsv", "train.log"]
    assert not list(tmp_path.glob(".ddp*"))  # no scratch or resume leftovers from any rank
    log = (out / "train.log").read_text()
    assert "DDP: 2 processes (gloo)" in log
    hist = pd.read_csv(out / "history.csv")
    assert len(hist) == 2 and hist.train_loss.notna().all()
    metrics = json.loads((out / "metrics.json").read_text())
    assert 0.0 <= metrics["auroc"]["mean"] <= 1.0


def test_compile_flag_trains_through_torch_compile(sim, tiny_config, tmp_path, cli, monkeypatch):
    import torch

    compiled = []

    def fake_compile(module, *args, **kwargs):  # real compilation takes a minute on a CPU
        compiled.append(type(module).__name__)
        return module

    monkeypatch.setattr(torch, "compile", fake_compile)
    out = tmp_path / "run"
    args = _train_args(sim, out, 1, tiny_config)
    result = cli(*args, "--compile")
    assert result.exit_code == 0, result.output
    assert compiled == ["DeepBind"]
    assert (out / "model.pt").exists()


def test_reshuffle_from_the_cli(sim, tiny_config, tmp_path, cli):
    out = tmp_path / "run"
    result = cli(*_train_args(sim, out, 2, tiny_config), "--reshuffle")
    assert result.exit_code == 0, result.output
    assert "shuffled negatives drawn afresh every epoch" in (out / "train.log").read_text()
    assert "reshuffle: true" in (out / "config.yaml").read_text()

    table = tmp_path / "features.tsv"
    table.write_text("id\ta\tb\n" + "".join(f"r{i}\t{i}\t{i % 3}\n" for i in range(20)))
    labels = tmp_path / "labels.tsv"
    labels.write_text("id\tclass\n" + "".join(f"r{i}\t{'xy'[i % 2]}\n" for i in range(20)))
    result = cli("train", "--table", table, "--labels", labels, "--out", tmp_path / "t", "--reshuffle")
    assert result.exit_code == 1
    assert "reshuffle (shuffled negatives) applies to sequence input only, not table input" in result.output
