"""``seqnet train --resume`` restores the optimiser's momentum and the learning-rate schedule:
a killed SGD + cosine (warm-up) run ends exactly as an uninterrupted one."""

from __future__ import annotations

import json
import signal
import subprocess
import time

import pandas as pd
import pytest

from test_long_runs import SEQNET, _env, _train_args

KNOBS = ["--optimizer", "sgd", "--momentum", "0.9", "--nesterov", "--lr", "0.05", "--schedule", "cosine",
         "--warmup-epochs", "2", "--min-lr", "0.001", "--clip-grad", "5", "--l1", "1e-5"]


def _kill_after_epoch(cmd: list, state, epoch_wanted: int) -> bool:
    """Start ``cmd``, SIGKILL it once ``state`` records ``epoch_wanted`` finished epochs; False if it ended first."""
    import torch

    proc = subprocess.Popen(cmd, env=_env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.time() + 180
    while time.time() < deadline and proc.poll() is None:
        if state.exists():
            try:
                epoch = torch.load(state, map_location="cpu", weights_only=False)["epoch"]
            except Exception:  # being replaced right now
                epoch = 0
            if epoch >= epoch_wanted:
                break
        time.sleep(0.05)
    if proc.poll() is not None:
        return False
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    return True


def test_resume_of_a_killed_sgd_cosine_run_matches_the_uninterrupted_run(sim, tiny_config, tmp_path):
    full = tmp_path / "full"
    subprocess.run(SEQNET + _train_args(sim, full, 6, tiny_config) + KNOBS, check=True, env=_env(),
                   capture_output=True)
    cut = tmp_path / "cut"
    state = tmp_path / ".cut.last.pt"
    if not _kill_after_epoch(SEQNET + _train_args(sim, cut, 6, tiny_config) + KNOBS, state, 3):
        pytest.skip("the run finished before it could be killed (machine too fast for this test)")
    import torch

    saved = torch.load(state, map_location="cpu", weights_only=False)
    assert saved["schedule"]["last_epoch"] > 0  # the scheduler's position is in the state
    assert any("momentum_buffer" in s for s in saved["optimizer"]["state"].values())
    result = subprocess.run(SEQNET + ["train", "--resume", str(cut), "--quiet"], env=_env(), capture_output=True,
                            text=True)
    assert result.returncode == 0, result.stderr
    assert json.loads((cut / "metrics.json").read_text()) == json.loads((full / "metrics.json").read_text())
    a = pd.read_csv(full / "history.csv").drop(columns="seconds")
    b = pd.read_csv(cut / "history.csv").drop(columns="seconds")
    pd.testing.assert_frame_equal(a, b)
    assert a.lr.iloc[0] < a.lr.iloc[2] and a.lr.iloc[-1] < a.lr.iloc[2]  # warm-up, then cosine decay
