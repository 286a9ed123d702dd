"""``seqnet tune``: the search space file, the study database (resume after a kill, several
processes on one study), the outputs, and the recipe it recommends."""

from __future__ import annotations

import json
import signal
import subprocess
import time
from pathlib import Path

import pandas as pd
import pytest
import yaml

from seqnet.errors import ConfigError
from seqnet.tune.space import read_space
from test_long_runs import SEQNET, _env

SPACE = """\
train:
  lr: {low: 1.0e-3, high: 3.0e-2, log: true}
  optimizer: [adam, sgd]
  epochs: 2
model_args:
  n_filters: [4, 8]
"""


def _write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def _tune_args(sim, tiny_config, space: Path, out: Path, trials: int, *extra) -> list:
    return ["tune", "--positives", sim.positives_fasta, "--negatives", "shuffle", "--config", tiny_config,
            "--space", space, "--trials", str(trials), "--out", out, "--batch-size", "32", "--device", "cpu",
            "--seed", "1", *extra]


# -- the space file -------------------------------------------------------------------------------------


def test_space_is_read_into_searched_and_fixed_settings(tmp_path):
    import optuna

    path = _write(tmp_path / "space.yaml", """\
model:
  deepsea: {model_args: {n_filters: [[8, 8], [16, 16]], dropout: [0.1, 0.3], hidden: {low: 8, high: 32, step: 8}}}
  deepbind: {model_args: {n_filters: [8, 16]}}
train:
  lr: {low: 1.0e-4, high: 1.0e-2, log: true}
  momentum: {low: 0.5, high: 0.95}
  epochs: 3
""")
    space = read_space(path, "sequence", "deepbind")
    assert space.models == ("deepsea", "deepbind")
    kinds = {p.name: p.kind for p in space.params}
    assert kinds == {"train.lr": "float", "train.momentum": "float", "deepsea.model_args.n_filters": "choice",
                     "deepsea.model_args.dropout": "choice", "deepsea.model_args.hidden": "int",
                     "deepbind.model_args.n_filters": "choice"}
    trial = optuna.trial.FixedTrial({"model": "deepsea", "train.lr": 0.001, "train.momentum": 0.6,
                                     "deepsea.model_args.n_filters": "[16, 16]", "deepsea.model_args.dropout": 0.3,
                                     "deepsea.model_args.hidden": 16})
    model, values = space.suggest(trial)
    assert model == "deepsea"
    assert values == {"train": {"epochs": 3, "lr": 0.001, "momentum": 0.6},
                      "model_args": {"n_filters": [16, 16], "dropout": 0.3, "hidden": 16}}
    assert space.values_of(trial.params)[1] == values


@pytest.mark.parametrize("text, message", [
    ("trian:\n  lr: [0.1]\n", "line 1: trian: unknown key; expected train, model_args or model"),
    ("train:\n  lrr: [0.1, 0.2]\n", "line 2: train.lrr: unknown key; expected one of batch_size, clip_grad"),
    ("train:\n  lr: {low: 0.1, high: 0.01}\n", "line 2: train.lr: empty range: low 0.1 > high 0.01"),
    ("train:\n  optimizer: []\n", "line 2: train.optimizer: no choices (an empty list)"),
    ("train:\n  optimizer: [adam, sdg]\n",
     "line 2: train.optimizer: optimizer must be one of adam, adamw, sgd, rmsprop, got 'sdg'"),
    ("train:\n  lr: {low: 0, high: 0.1, log: true}\n", "line 2: train.lr: a log range needs low > 0 and no step"),
    ("train:\n  lr: {lo: 0.1, high: 0.2}\n", "line 2: train.lr: a range is {low: L, high: H}"),
    ("model_args:\n  n_filter: [8]\n", "line 2: model_args.n_filter: not an argument of model 'deepbind'"),
    ("model_args:\n  dropout: {low: 0.1, high: 1.5}\n",
     "line 2: model_args.dropout: model 'deepbind': bad arguments (dropout must be a number in [0.0, 1.0), got 1.5)"),
    ("data:\n  length: [100, 200]\n", "line 1: data: not searched: data settings, the seed and the device fix"),
    ("model: [deepbind, nosuch]\n", "model.nosuch: unknown model for sequence input; expected one of basset"),
    ("model:\n  deepsea: {model_args: {n_filters: [[8, 8]]}}\n",
     "line 2: model.deepsea.model_args.n_filters: model 'deepsea': bad arguments (dropout must be a number or a list "
     "of 2 numbers, got (0.2, 0.2, 0.5))"),
    ("model: [deepbind, dilated]\nmodel_args:\n  n_filters: [8]\n",
     "line 3: model_args.n_filters: not an argument of model 'dilated'"),
    ("- just a list\n", "expected a mapping of recipe sections (train, model_args, model) to search"),
    ("train: [\n", "line 2: not valid YAML"),
])
def test_bad_space_files_are_one_line_errors_naming_file_line_and_key(text, message, tmp_path):
    path = _write(tmp_path / "space.yaml", text)
    with pytest.raises(ConfigError) as err:
        read_space(path, "sequence", "deepbind")
    assert str(err.value).startswith(f"{path}: ")
    assert message in str(err.value) and "\n" not in str(err.value)


def test_missing_space_file(tmp_path):
    with pytest.raises(ConfigError, match="no such search space file"):
        read_space(tmp_path / "nope.yaml", "sequence", "deepbind")


# -- the command ----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def searched(sim, tiny_config, tmp_path_factory):
    """A finished 4-trial search (two calls of 2 trials on one study)."""
    from click.testing import CliRunner

    from seqnet.cli import main

    tmp = tmp_path_factory.mktemp("tune")
    space = _write(tmp / "space.yaml", SPACE)
    out = tmp / "search"
    outputs = []
    for _ in range(2):
        result = CliRunner().invoke(main, [str(a) for a in _tune_args(sim, tiny_config, space, out, 2)],
                                    catch_exceptions=False)
        assert result.exit_code == 0, result.output
        outputs.append(result.output)
    return out, outputs, space


def test_tune_writes_the_study_and_its_reports(searched):
    out, outputs, _ = searched
    assert sorted(p.name for p in out.iterdir()) == ["best.yaml", "history.png", "importances.png", "study.db",
                                                     "summary.json", "trials.tsv"]
    trials = pd.read_csv(out / "trials.tsv", sep="\t")
    assert list(trials.trial) == [0, 1, 2, 3]  # the second call added 2 trials to the study
    assert list(trials.columns[:7]) == ["trial", "state", "value", "best_epoch", "epochs", "seconds", "parameters"]
    assert {"train.lr", "train.optimizer", "model_args.n_filters"} <= set(trials.columns)
    lines = [line for line in outputs[0].splitlines() if line.startswith("trial ")]
    assert len(lines) == 2 and "valid_auroc" in lines[0] and "best " in lines[0] and "lr=" in lines[0]
    study_line = outputs[1].splitlines()[-2]
    assert study_line.startswith("study 'seqnet' in sqlite:///")
    assert sum(int(part.split()[0]) for part in study_line.split(": ", 1)[1].split(", ")) == 4
    summary = json.loads((out / "summary.json").read_text())
    assert summary["metric"] == "valid_auroc" and sum(summary["trials"].values()) == 4


def test_best_yaml_retrains_with_seqnet_train_on_the_same_split(searched, sim, cli, tmp_path):
    out, _, _ = searched
    summary = json.loads((out / "summary.json").read_text())
    best = yaml.safe_load((out / "best.yaml").read_text())
    assert best["train"]["epochs"] == 2 and best["train"]["lr"] == summary["best"]["params"]["train.lr"]
    run = tmp_path / "run"
    result = cli("train", "--positives", sim.positives_fasta, "--negatives", "shuffle", "--config", out / "best.yaml",
                 "--out", run, "--quiet", "--baselines", "none")
    assert result.exit_code == 0, result.output
    history = pd.read_csv(run / "history.csv")
    # the trial's value is its best validation AUROC: same data, same split, same training
    assert history.valid_auroc.max() == summary["best"]["value"]


def test_searched_settings_cannot_also_be_options(searched, sim, tiny_config, cli, tmp_path):
    _, _, space = searched
    result = cli(*_tune_args(sim, tiny_config, space, tmp_path / "t", 1, "--lr", "0.01"))
    assert result.exit_code == 1
    assert result.output == f"Error: {space}: train.lr is searched, and --lr sets it too; keep one\n"


def test_a_study_made_for_another_search_is_refused(searched, sim, tiny_config, cli, tmp_path):
    out, _, _ = searched
    other = _write(tmp_path / "other.yaml", SPACE.replace("[4, 8]", "[4, 16]"))
    result = cli(*_tune_args(sim, tiny_config, other, out, 1))
    assert result.exit_code == 1
    assert result.output.startswith("Error: study 'seqnet' in sqlite:///") and "(its space differs)" in result.output


@pytest.mark.parametrize("url, reason", [
    ("sqlite:////nonexistent-dir/deeper/study.db", "unable to open database file"),
    ("nosuchdb://host/study", "Can't load plugin"),
    ("postgresql://user:secret@127.0.0.1:9/study", ""),
])
def test_a_storage_that_cannot_be_opened_is_a_one_line_error(url, reason, sim, tiny_config, cli, tmp_path):
    space = _write(tmp_path / "space.yaml", SPACE)
    result = cli(*_tune_args(sim, tiny_config, space, tmp_path / "t", 1, "--storage", url))
    assert result.exit_code == 1
    assert result.output.count("\n") == 1 and ": cannot open the study database (" in result.output
    assert reason in result.output and "secret" not in result.output


def test_out_holding_something_else_is_refused(sim, tiny_config, cli, tmp_path):
    space = _write(tmp_path / "space.yaml", SPACE)
    out = tmp_path / "t"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    result = cli(*_tune_args(sim, tiny_config, space, out, 1))
    assert result.exit_code == 1 and "holds no earlier search; pass --overwrite" in result.output
    assert (out / "notes.txt").exists()


# -- killed searches and shared studies -------------------------------------------------------------------


def _trials_in(db: Path) -> list:
    import optuna

    optuna.logging.set_verbosity(optuna.logging.ERROR)
    return optuna.load_study(study_name="seqnet", storage=f"sqlite:///{db}").get_trials(deepcopy=False)


def test_a_killed_search_continues_and_the_trial_counts_add_up(sim, tiny_config, tmp_path):
    from optuna.trial import TrialState

    space = _write(tmp_path / "space.yaml", SPACE.replace("epochs: 2", "epochs: 60").replace("sgd]", "adam]"))
    out = tmp_path / "search"
    args = _tune_args(sim, tiny_config, space, out, 5, "--pruner", "none", "--patience", "100")
    cmd = [*SEQNET, "--threads", "1", *map(str, args)]
    proc = subprocess.Popen(cmd, env=_env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline, killed = time.time() + 240, None
    while time.time() < deadline and proc.poll() is None:  # kill it during its second trial
        if (out / "study.db").exists():
            try:
                trials = _trials_in(out / "study.db")
            except Exception:  # the study is being created right now
                trials = []
            running = [t for t in trials if t.state == TrialState.RUNNING and t.number >= 1]
            if running:
                proc.send_signal(signal.SIGKILL)
                proc.wait()
                killed = running[0]
                break
        time.sleep(0.1)
    if killed is None:
        proc.kill()
        pytest.skip("the search ended before it could be killed mid-trial")
    finished_before = sum(t.state.is_finished() and t.state != TrialState.FAIL for t in _trials_in(out / "study.db"))
    rerun = subprocess.run([*cmd[:cmd.index("--trials") + 1], "2", *cmd[cmd.index("--trials") + 2:]], env=_env(),
                           capture_output=True, text=True)
    assert rerun.returncode == 0, rerun.stderr
    assert rerun.stdout.startswith("1 trial(s) left running by a stopped process: marked failed, tried again first")
    trials = _trials_in(out / "study.db")
    states = [t.state for t in trials]
    assert states.count(TrialState.FAIL) == 1  # the killed trial
    assert sum(s in (TrialState.COMPLETE, TrialState.PRUNED) for s in states) == finished_before + 2
    retry = next(t for t in trials if t.user_attrs.get("retry_of") == killed.number)
    assert retry.params == killed.params and retry.state == TrialState.COMPLETE
    assert len(pd.read_csv(out / "trials.tsv", sep="\t")) == len(trials)


def test_two_processes_share_one_sqlite_study_without_duplicates(sim, tiny_config, tmp_path):
    from optuna.trial import TrialState

    space = _write(tmp_path / "space.yaml", SPACE)
    db = tmp_path / "shared.db"
    procs = []
    for worker in ("w1", "w2"):
        args = _tune_args(sim, tiny_config, space, tmp_path / worker, 3, "--storage", f"sqlite:///{db}")
        procs.append(subprocess.Popen([*SEQNET, "--threads", "1", *map(str, args)], env=_env(),
                                      stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
    for proc in procs:
        stdout, stderr = proc.communicate(timeout=600)
        assert proc.returncode == 0, stderr
        assert sum(line.startswith("trial ") for line in stdout.splitlines()) == 3  # each reports its own trials
    trials = _trials_in(db)
    assert sorted(t.number for t in trials) == list(range(6))
    assert all(t.state in (TrialState.COMPLETE, TrialState.PRUNED) for t in trials)
    assert len({t.params["train.lr"] for t in trials}) == 6  # no trial's settings drawn twice
    for worker in ("w1", "w2"):  # each worker's report covers the whole study as it stood when it ended
        assert len(pd.read_csv(tmp_path / worker / "trials.tsv", sep="\t")) >= 3


def test_help(cli):
    result = cli("tune", "--help")
    assert result.exit_code == 0 and "--space" in result.output and "--storage" in result.output


def test_the_same_seed_draws_the_same_trials(searched, sim, tiny_config, cli, tmp_path):
    out, _, space = searched
    again = tmp_path / "again"
    assert cli(*_tune_args(sim, tiny_config, space, again, 2, "--quiet")).exit_code == 0
    first = pd.read_csv(out / "trials.tsv", sep="\t").drop(columns=["seconds"]).head(2)
    second = pd.read_csv(again / "trials.tsv", sep="\t").drop(columns=["seconds"])
    pd.testing.assert_frame_equal(first, second, check_dtype=False)  # same settings, same values


def test_multi_label_trials_take_the_recipes_multi_output_values(sim, cli, tmp_path):
    space = _write(tmp_path / "space.yaml", "train:\n  lr: [0.01]\n  epochs: 1\nmodel_args:\n  n_filters: [4]\n")
    out = tmp_path / "t"
    result = cli("tune", "--fasta", sim.multilabel_fasta, "--labels", sim.labels_tsv, "--space", space, "--trials", "1",
                 "--out", out, "--device", "cpu", "--pruner", "none", "--startup-trials", "0", "--timeout", "600")
    assert result.exit_code == 0, result.output
    best = yaml.safe_load((out / "best.yaml").read_text())
    several = yaml.safe_load((Path(__file__).resolve().parents[1] / "configs" / "deepbind.yaml").read_text())
    assert best["train"]["batch_size"] == several["multi_output"]["train"]["batch_size"]
    assert best["model_args"]["both_strands"] is True and best["model_args"]["n_filters"] == 4


def test_pruners():
    import optuna

    from seqnet.tune.study import make_pruner

    assert isinstance(make_pruner("median", 10), optuna.pruners.MedianPruner)
    assert isinstance(make_pruner("hyperband", 10), optuna.pruners.HyperbandPruner)
    assert isinstance(make_pruner("none", 10), optuna.pruners.NopPruner)


def test_a_study_that_optimises_the_other_way_is_refused(searched, sim, tiny_config, cli):
    out, _, space = searched
    result = cli(*_tune_args(sim, tiny_config, space, out, 1, "--monitor", "loss"))
    assert result.exit_code == 1
    assert result.output == ("Error: study 'seqnet' was made to maximize its value and this search would minimize "
                             "it; choose another --study-name\n")


def test_importances_leave_out_settings_with_one_choice():
    import optuna

    from seqnet.tune.report import param_importances

    optuna.logging.set_verbosity(optuna.logging.ERROR)
    study = optuna.create_study(direction="maximize", sampler=optuna.samplers.RandomSampler(seed=0))

    def objective(trial):
        trial.suggest_categorical("model", ["deepbind"])
        lr = trial.suggest_float("train.lr", 1e-4, 1e-2, log=True)
        width = trial.suggest_int("model_args.n_filters", 8, 64)
        return lr * 10 + width / 1000

    study.optimize(objective, n_trials=8)
    found = param_importances(study)
    assert set(found) == {"train.lr", "model_args.n_filters"}
    assert all(0 <= v <= 1 for v in found.values())
