"""Nothing lost: outputs never replace inputs, one writer per output, atomic writes that
name the user's path, folders that follow the umask, resume only on unchanged inputs,
Ctrl-C that says how to resume."""

from __future__ import annotations

import errno
import hashlib
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import TINY, write

SEQNET = [sys.executable, "-m", "seqnet"]


def _env() -> dict:
    env = dict(os.environ, OMP_NUM_THREADS="1", PYTHONUNBUFFERED="1")
    env.pop("WORLD_SIZE", None)
    return env


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _one_error(result, *fragments) -> str:
    assert result.exit_code == 1, result.output
    err = result.stderr.strip()
    assert err.startswith("Error: ") and "\n" not in err and "Traceback" not in result.output, err
    for f in fragments:
        assert f in err, (f, err)
    return err


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory, sim, tiny_config):
    from click.testing import CliRunner

    from seqnet.cli import main

    out = tmp_path_factory.mktemp("outputs") / "run"
    result = CliRunner().invoke(main, ["train", "--positives", str(sim.positives_fasta), "--negatives",
                                       str(sim.negatives_fasta), "--config", str(tiny_config), "--out", str(out),
                                       *TINY])
    assert result.exit_code == 0, result.output
    return out


# ----------------------------------------------------------------------------- outputs are never inputs


def test_predict_out_equal_to_the_fasta_is_refused(cli, run_dir, sim, tmp_path):
    fasta = tmp_path / "x.fa"
    shutil.copy(sim.positives_fasta, fasta)
    before = _digest(fasta)
    _one_error(cli("predict", run_dir, "--fasta", fasta, "--out", fasta),
               f"--out {fasta} is the --fasta input: an output never replaces an input")
    assert _digest(fasta) == before and _leftovers(tmp_path) == []


def test_output_through_a_symlink_to_an_input_is_refused(cli, run_dir, sim, tmp_path):
    fasta = tmp_path / "x.fa"
    shutil.copy(sim.positives_fasta, fasta)
    link = tmp_path / "link.tsv"
    link.symlink_to(fasta)
    before = _digest(fasta)
    _one_error(cli("predict", run_dir, "--fasta", fasta, "--out", link), "is the --fasta input")
    assert _digest(fasta) == before


def test_evaluate_out_equal_to_the_labels_is_refused(cli, run_dir, sim, tmp_path):
    labels = tmp_path / "l.tsv"
    shutil.copy(sim.labels_tsv, labels)
    before = _digest(labels)
    _one_error(cli("evaluate", run_dir, "--fasta", sim.multilabel_fasta, "--labels", labels, "--out", labels),
               f"--out {labels} is the --labels input")
    assert _digest(labels) == before


def test_predict_out_over_the_model_is_refused(cli, run_dir, sim):
    before = _digest(run_dir / "model.pt")
    _one_error(cli("predict", run_dir, "--fasta", sim.positives_fasta, "--out", run_dir / "model.pt"),
               "the --run input")
    assert _digest(run_dir / "model.pt") == before


def test_output_folder_holding_an_input_is_refused(cli, run_dir, sim, tmp_path, tiny_config):
    data = tmp_path / "data"
    data.mkdir()
    pos = data / "pos.fa"
    shutil.copy(sim.positives_fasta, pos)
    _one_error(cli("train", "--positives", pos, "--negatives", "shuffle", "--config", tiny_config, "--out", data,
                   "--overwrite", *TINY), f"--out {data} holds the --positives input {pos}")
    assert pos.exists()
    _one_error(cli("motifs", run_dir, "--fasta", sim.positives_fasta, "--out", run_dir, "--overwrite"),
               f"--out {run_dir} holds the --run input")
    assert (run_dir / "model.pt").exists()


def test_prepare_output_equal_to_its_input_is_refused(cli, sim, tmp_path):
    pos = tmp_path / "p.fa"
    shutil.copy(sim.positives_fasta, pos)
    before = _digest(pos)
    _one_error(cli("prepare", "--positives", pos, "--negatives", "shuffle", "--out-positives", pos,
                   "--out-negatives", tmp_path / "n.fa"), f"--out-positives {pos} is the --positives input")
    assert _digest(pos) == before and not (tmp_path / "n.fa").exists()


def test_library_messages_name_parameters(run_dir, sim, tmp_path):
    from seqnet.errors import ConfigError
    from seqnet.inputs import InputSpec
    from seqnet.predict import write_predictions

    fasta = tmp_path / "x.fa"
    shutil.copy(sim.positives_fasta, fasta)
    with pytest.raises(ConfigError, match=f"^out {fasta} is the fasta input"):
        write_predictions(run_dir, InputSpec(fasta=fasta), fasta)


# ----------------------------------------------------------------------------- one writer per output


def test_second_run_on_the_same_out_fails_while_the_first_runs(cli, sim, tiny_config, tmp_path):
    out = tmp_path / "run"
    args = ["train", "--positives", str(sim.positives_fasta), "--negatives", "shuffle", "--out", str(out),
            "--config", str(tiny_config), "--epochs", "100000", "--patience", "100000", "--batch-size", "16", "--quiet",
            "--device", "cpu"]
    # A shell's background job (CI started with `&`) inherits SIGINT ignored; a terminal's
    # Ctrl-C reaches a foreground process with the default action, as here.
    first = subprocess.Popen(SEQNET + args, env=_env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                             preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    lock = tmp_path / ".run.lock"
    deadline = time.time() + 60
    while not lock.exists() and time.time() < deadline and first.poll() is None:
        time.sleep(0.02)
    try:
        assert lock.exists(), "the first run never took its lock"
        err = _one_error(cli(*args), f"--out {out}: seqnet (pid {first.pid}: seqnet train")
        assert "is writing it; wait for it to finish or choose another path" in err
    finally:
        while not (tmp_path / ".run.last.pt").exists() and first.poll() is None and time.time() < deadline:
            time.sleep(0.02)  # Ctrl-C once an epoch is saved
        first.send_signal(signal.SIGINT)
        try:
            _, stderr = first.communicate(timeout=60)
        finally:
            if first.poll() is None:  # never leave a 100,000-epoch run behind
                first.kill()
                first.wait()
    assert first.returncode == 130
    assert stderr.strip().startswith("Error: interrupted; the run's state after epoch ")
    assert stderr.strip().endswith(f"is kept: continue with --resume {out}")
    assert not lock.exists() and not out.exists() and (tmp_path / ".run.last.pt").exists()


def test_lock_is_taken_again_after_its_holder_is_killed(tmp_path):
    from seqnet.outputs import lock

    code = f"from seqnet.outputs import lock\nimport time\nwith lock({str(tmp_path / 'out')!r}):\n    time.sleep(60)\n"
    holder = subprocess.Popen([sys.executable, "-c", code], env=_env())
    deadline = time.time() + 30
    while not (tmp_path / ".out.lock").exists() and time.time() < deadline:
        time.sleep(0.02)
    holder.send_signal(signal.SIGKILL)
    holder.wait()
    with lock(tmp_path / "out"):  # a dead holder's lock is free
        assert (tmp_path / ".out.lock").exists()
    assert not (tmp_path / ".out.lock").exists()


# ----------------------------------------------------------------------------- full disk, umask


def test_full_disk_while_saving_names_the_users_path(cli, sim, tiny_config, tmp_path, monkeypatch):
    import torch

    real = torch.save

    def full(obj, path, *a, **k):
        if ".model.pt." not in str(path):  # the resume state saves fine; the checkpoint hits a full disk
            return real(obj, path, *a, **k)
        raise RuntimeError("PytorchStreamWriter failed writing file data/0: file write failed")

    monkeypatch.setattr(torch, "save", full)
    monkeypatch.setattr(shutil, "disk_usage", lambda p: shutil._ntuple_diskusage(100, 100, 0))
    out = tmp_path / "run"
    _one_error(cli("train", "--positives", sim.positives_fasta, "--negatives", "shuffle", "--config", tiny_config,
                   "--out", out, *TINY), f"Error: {out / 'model.pt'}: No space left on device")
    # no half-written run; the last epoch's state stays so that --resume can finish once there is room
    assert not out.exists() and _leftovers(tmp_path) == [".run.last.pt"]


def test_full_disk_while_writing_predictions(cli, run_dir, sim, tmp_path, monkeypatch):
    real = Path.write_bytes

    def no_space(self, data):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(self))

    monkeypatch.setattr(Path, "write_bytes", no_space)
    out = tmp_path / "m.json"
    _one_error(cli("evaluate", run_dir, "--positives", sim.positives_fasta, "--negatives", sim.negatives_fasta,
                   "--out", out), f"Error: {out}: No space left on device")
    monkeypatch.setattr(Path, "write_bytes", real)
    assert not out.exists() and _leftovers(tmp_path) == []


def test_output_folders_follow_the_umask(cli, run_dir, sim, tmp_path):
    old = os.umask(0o022)
    try:
        out = tmp_path / "motifs"
        result = cli("motifs", run_dir, "--fasta", sim.positives_fasta, "--out", out, "--db", sim.motifs_meme,
                     "--influence-sequences", "50")
        assert result.exit_code == 0, result.output
        assert (out.stat().st_mode & 0o777) == 0o755
        assert ((out / "matches.tsv").stat().st_mode & 0o777) == 0o644
    finally:
        os.umask(old)
    assert (run_dir.stat().st_mode & 0o777) == 0o777 & ~old


# ----------------------------------------------------------------------------- resume checks its inputs, Ctrl-C


def _kill_after_epochs(args: list[str], state: Path, epochs: int = 2) -> None:
    import torch

    proc = subprocess.Popen(SEQNET + args, env=_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 120
    while time.time() < deadline and proc.poll() is None:
        if state.exists():
            try:
                if torch.load(state, map_location="cpu", weights_only=False)["epoch"] >= epochs:
                    break
            except Exception:  # being replaced right now
                pass
        time.sleep(0.05)
    if proc.poll() is not None:
        pytest.skip("the run finished before it could be killed (machine too fast for this test)")
    proc.send_signal(signal.SIGKILL)
    proc.wait()


def test_resume_refuses_changed_inputs(cli, sim, tiny_config, tmp_path):
    pos = tmp_path / "pos.fa"
    shutil.copy(sim.positives_fasta, pos)
    out = tmp_path / "cut"
    args = ["train", "--positives", str(pos), "--negatives", "shuffle", "--out", str(out), "--config",
            str(tiny_config), "--epochs", "60", "--patience", "100", "--batch-size", "16", "--quiet", "--device", "cpu"]
    _kill_after_epochs(args, tmp_path / ".cut.last.pt")
    text = pos.read_text()
    pos.write_text(text.replace("A", "C", 1))  # same size, other content
    _one_error(cli("train", "--resume", out), f"--resume {out}: the --positives input {pos} changed since the run "
               "started (same size, other content)")
    pos.write_text(text + ">extra\nACGT\n")
    _one_error(cli("train", "--resume", out), "bytes); start a new run, or put the original file back")
    pos.write_text(text)  # the original back: the run continues
    result = cli("train", "--resume", out, "--quiet")
    assert result.exit_code == 0, result.output
    assert (out / "metrics.json").exists() and not (tmp_path / ".cut.last.pt").exists()


def test_fingerprints_are_content_not_time(tmp_path):
    from seqnet.errors import ConfigError
    from seqnet.provenance import check_unchanged, fingerprints

    f = write(tmp_path / "a.fa", ">a\nACGT\n")
    recorded = fingerprints({"positives": f, "negatives": "shuffle"})
    assert set(recorded) == {"positives"} and recorded["positives"]["size"] == 8
    st = f.stat()
    f.write_text(">a\nACGA\n")
    os.utime(f, ns=(st.st_atime_ns, st.st_mtime_ns))  # same size and time: only the content tells
    with pytest.raises(ConfigError, match="positives input .* changed since the run started"):
        check_unchanged(recorded, what="resume")


@pytest.mark.parametrize("args, message", [
    ("n_filters: -3", "Error: model 'deepbind': bad arguments (n_filters must be an integer >= 1, got -3)"),
    ("dropout: 1.5", "Error: model 'deepbind': bad arguments (dropout must be a number in [0.0, 1.0), got 1.5)"),
    ("n_filter: 3", "Error: model 'deepbind': bad arguments (unknown argument 'n_filter'; expected one of: "),
])
def test_bad_model_arguments_in_a_config_file(cli, sim, tmp_path, args, message):
    cfg = write(tmp_path / "bad.yaml", f"model_args:\n  {args}\n")
    out = tmp_path / "run"
    err = _one_error(cli("train", "--positives", sim.positives_fasta, "--negatives", "shuffle", "--config", cfg,
                         "--out", out, *TINY))
    assert err.startswith(message) and not out.exists() and _leftovers(tmp_path) == []


def test_full_disk_while_writing_motifs_names_the_users_path(cli, run_dir, sim, tmp_path, monkeypatch):
    def no_space(self, data):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(self))

    monkeypatch.setattr(Path, "write_bytes", no_space)
    out = tmp_path / "motifs"
    err = _one_error(cli("motifs", run_dir, "--fasta", sim.positives_fasta, "--out", out, "--db", sim.motifs_meme,
                         "--influence-sequences", "50", "--method", "filters", "--quiet"))
    assert err.startswith(f"Error: {out}/") and err.endswith(": No space left on device") and ".partial-" not in err
    assert not out.exists() and _leftovers(tmp_path) == []
