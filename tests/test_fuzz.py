"""Fuzzing the command line: malformed variants of every kind of user input, thrown at
every command ("Nothing silently wrong, nothing lost").

Each case (``tests/fuzz_cases.py``: a named, seeded variant of a small valid file, or an
odd option value) runs one ``seqnet`` command in-process and must end in one of two ways:

* exit 0 with a correct result: the outputs exist and parse (a predictions TSV with one
  row per input record and the right ids, a complete run directory whose model has the
  expected outputs, ...);
* exit 1 with exactly one ``Error: ...`` line on stderr (naming the offending file where
  a file is at fault) and no traceback.

And in every case: each input file is byte-identical afterwards, and nothing is left
behind: no output when the command failed, no hidden scratch (``.<name>.partial-*``,
``.<name>.*.tmp``, ``.<name>.last.pt``, ``.<name>.lock``) whether it failed or not.

Where a case could reasonably go either way, ``any`` accepts both outcomes but still
demands a right result on success.  Where the right outcome was debatable, the principle
decides: a value in an input that does not fit the task is an error naming the file,
line and column; never a new category, never silently dropped.

A few cases run again through a real ``python -m seqnet`` process (what a user's
terminal shows).  ``SEQNET_FUZZ_LOG=FILE`` appends one line per case (id, expectation,
exit status, verdict, first stderr line) to FILE, to review every outcome at once.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import sys
import traceback
from pathlib import Path
from types import SimpleNamespace

import pytest
from click.testing import CliRunner

import fuzz_cases
from fuzz_cases import TRAIN

CASES = {c.id: c for c in fuzz_cases.all_cases()}

#: Names of hidden scratch files that must never survive a command.
LEFTOVER = re.compile(r"^\..+\.(partial-.*|[^.]+\.tmp|last\.pt|lock)$|\.tmp$")
#: Side files a command may create beside its inputs (a genome index; README: ".fai built if missing").
SIDE_FILE = re.compile(r"\.(fai|gzi)$")


def test_case_count():
    """The case list is data; keep it large and its ids unique and readable."""
    assert len(CASES) >= 150, len(CASES)
    assert all(re.fullmatch(r"[a-z0-9_.-]+", cid, flags=re.I) for cid in CASES)


# ----------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def base_dir(tmp_path_factory) -> Path:
    return fuzz_cases.write_base(fuzz_cases.BASE, tmp_path_factory.mktemp("fuzz-base"))


def _invoke(args, cwd: Path | None = None):
    from seqnet.cli import main

    old = os.getcwd()
    if cwd is not None:
        os.chdir(cwd)
    try:
        return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=True)
    finally:
        os.chdir(old)


@pytest.fixture(scope="module")
def runs(base_dir, tmp_path_factory) -> dict[str, Path]:
    """One tiny trained run per input kind (and a multi-label one), shared read-only:
    cases work on copies."""
    d = tmp_path_factory.mktemp("fuzz-runs")
    b = base_dir
    inputs = {
        "seq": ["--positives", b / "pos.fa", "--negatives", b / "neg.fa", "--config", b / "seq.yaml"],
        "multi": ["--fasta", b / "seqs.fa", "--labels", b / "labels.tsv", "--config", b / "seq.yaml"],
        "ts": ["--timeseries", b / "expr.tsv", "--conditions", b / "conditions.tsv", "--labels",
               b / "ts_labels.tsv", "--config", b / "ts.yaml"],
        "table": ["--table", b / "features.tsv", "--labels", b / "table_labels.tsv", "--config", b / "table.yaml"],
        "image": ["--images", b / "digits.csv", "--config", b / "image.yaml"],
    }
    out = {}
    for kind, args in inputs.items():
        result = _invoke(["train", *args, *TRAIN, "--out", d / kind])
        assert result.exit_code == 0 and result.exception is None, (kind, result.output, result.exception)
        out[kind] = d / kind
    return out


class Ctx:
    """A case's folders: ``root`` (the working directory) holds ``in/`` (every input, copied
    or written fresh) and ``out/``; ``top`` (snapshotted) holds ``root``."""

    def __init__(self, top: Path, base_dir: Path, runs: dict[str, Path]):
        self.top = top
        self.root = top / "case"
        self.inp = self.root / "in"
        self.out = self.root / "out"
        self.inp.mkdir(parents=True)
        self.out.mkdir()
        self._base, self._runs = base_dir, runs
        self.replaceable: list[Path] = []

    def put(self, name: str, data) -> Path:
        """Write ``data`` (str: UTF-8, bytes as is) to ``in/name``."""
        path = self.inp / name
        path.write_bytes(data if isinstance(data, bytes) else data.encode())
        return path

    def copy(self, name: str) -> Path:
        """A fresh copy of the valid base file ``name`` in ``in/``."""
        path = self.inp / name
        if not path.exists():
            shutil.copyfile(self._base / name, path)
        return path

    def run(self, kind: str) -> Path:
        """A fresh copy of the trained run of ``kind`` in ``in/``."""
        path = self.inp / f"run_{kind}"
        if not path.exists():
            shutil.copytree(self._runs[kind], path)
        return path

    def preexisting(self, path: Path, replaceable: bool) -> None:
        """``path`` existed before the command; a successful command may replace it only if ``replaceable``."""
        if replaceable:
            self.replaceable.append(Path(path))


# ----------------------------------------------------------------------------- invariants


def snapshot(top: Path) -> dict[str, str]:
    """Relative path -> ``"dir"`` or the SHA-256 of the file, for everything under ``top``."""
    state = {}
    for folder, dirs, files in os.walk(top):
        for name in dirs:
            state[os.path.relpath(os.path.join(folder, name), top)] = "dir"
        for name in files:
            p = os.path.join(folder, name)
            with open(p, "rb") as fh:
                state[os.path.relpath(p, top)] = hashlib.sha256(fh.read()).hexdigest()
    return state


def _under(rel: str, paths: list[str]) -> bool:
    return any(rel == p or rel.startswith(p + os.sep) for p in paths)


def judge(case, call, result, before: dict, after: dict, top: Path, replaceable: list[Path]) -> list[str]:
    """Everything wrong with one case's outcome (empty: the case passed)."""
    problems = []
    code = result.exit_code
    exc = result.exception
    out_text = (result.stdout or "") + (result.stderr or "")
    if exc is not None and not isinstance(exc, SystemExit):
        last = traceback.format_exception(type(exc), exc, exc.__traceback__)[-2:]
        problems.append(f"traceback: {type(exc).__name__}: {str(exc)[:300]} | at {''.join(last).strip()[:400]}")
    if "Traceback" in out_text:
        problems.append("'Traceback' in the output")
    if code not in (0, 1):
        problems.append(f"exit status {code} (expected 0 or 1)")
    if case.expect == "ok" and code != 0:
        problems.append("expected exit 0 with a correct result")
    if case.expect == "error" and code == 0:
        problems.append("expected exit 1 with one 'Error:' line, got exit 0")

    rel = lambda p: os.path.relpath(Path(p).absolute(), top)  # noqa: E731
    outputs = [rel(p) for p in call.outputs]
    replace_ok = [rel(p) for p in replaceable]
    changed = sorted(k for k in before if k in after and before[k] != after[k])
    removed = sorted(k for k in before if k not in after)
    new = sorted(k for k in after if k not in before)
    leftovers = [k for k in new if LEFTOVER.search(os.path.basename(k))]
    if leftovers:
        problems.append(f"leftover scratch files: {leftovers}")

    if code == 0:
        bad_changes = [k for k in changed + removed if not _under(k, replace_ok)]
        if bad_changes:
            problems.append(f"inputs changed or removed: {bad_changes[:6]}")
        strays = [k for k in new if not _under(k, outputs) and not SIDE_FILE.search(k) and k not in leftovers]
        if strays:
            problems.append(f"files outside the declared outputs: {strays[:6]}")
        if call.check is not None and not problems:
            try:
                call.check()
            except Exception as e:  # noqa: BLE001  (any failure of the check is a wrong result)
                problems.append(f"wrong result: {type(e).__name__}: {str(e)[:400]}")
    else:
        err = (result.stderr or "").strip()
        lines = err.splitlines()
        if len(lines) != 1 or not lines[0].startswith("Error: "):
            problems.append(f"stderr is not exactly one 'Error: ' line: {lines[:4]}")
        for m in call.mentions:  # a mention is a name, or a tuple of acceptable spellings
            if not any(alt in err for alt in ((m,) if isinstance(m, str) else m)):
                problems.append(f"the error line does not name {m if isinstance(m, str) else ' or '.join(m)!r}")
        if changed or removed:
            problems.append(f"inputs changed or removed: {(changed + removed)[:6]}")
        strays = [k for k in new if not SIDE_FILE.search(k) and k not in leftovers]
        if strays:
            problems.append(f"partial outputs left after the failure: {strays[:6]}")
    return problems


def test_judge_catches_what_it_should(tmp_path):
    """The harness itself: each broken outcome is reported, a clean one is not."""
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "x.fa").write_text(">a\nACGT\n")
    before = snapshot(tmp_path)
    err = fuzz_cases.Case("t-error", "error", lambda c: None)
    call = fuzz_cases.Call(["x"], [tmp_path / "out.tsv"], mentions=("x.fa",))

    def outcome(code, stderr="", exception=None):
        return SimpleNamespace(exit_code=code, stdout="", stderr=stderr, exception=exception)

    clean = outcome(1, "Error: in/x.fa: line 2: bad\n")
    assert judge(err, call, clean, before, snapshot(tmp_path), tmp_path, []) == []
    assert judge(err, call, outcome(1, "warning: hm\nError: x.fa: bad\n"), before, before, tmp_path, [])
    assert judge(err, call, outcome(1, "Error: bad\n"), before, before, tmp_path, [])  # names no file
    assert judge(err, call, outcome(0), before, before, tmp_path, [])
    assert judge(err, call, outcome(1, "", ValueError("boom")), before, before, tmp_path, [])
    (tmp_path / ".out.tsv.partial-ab12").mkdir()
    assert judge(err, call, clean, before, snapshot(tmp_path), tmp_path, [])
    (tmp_path / ".out.tsv.partial-ab12").rmdir()
    (tmp_path / "in" / "x.fa").write_text(">a\nACGA\n")
    assert judge(err, call, clean, before, snapshot(tmp_path), tmp_path, [])


# ----------------------------------------------------------------------------- the cases


@pytest.mark.parametrize("case_id", list(CASES))
def test_fuzz(case_id, base_dir, runs, tmp_path):
    ctx = Ctx(tmp_path, base_dir, runs)
    call = CASES[case_id].build(ctx)
    before = snapshot(tmp_path)
    result = _invoke(call.args, cwd=ctx.root)
    _verdict(case_id, ctx, call, result, before)


#: A few cases again through a real process: its stderr is what a user sees, Python
#: warnings and interpreter messages included (pytest captures those in-process).
SUBPROCESS_CASES = ["predict-fasta-truncated_gzip", "train-labels-na_cell", "config-binary_junk",
                    "evaluate-run-junk_model"]


@pytest.mark.parametrize("case_id", SUBPROCESS_CASES)
def test_fuzz_subprocess(case_id, base_dir, runs, tmp_path):
    ctx = Ctx(tmp_path, base_dir, runs)
    call = CASES[case_id].build(ctx)
    before = snapshot(tmp_path)
    env = {**os.environ, "SEQNET_THREADS": "1", "OMP_NUM_THREADS": "1"}
    proc = subprocess.run([sys.executable, "-m", "seqnet", *map(str, call.args)], cwd=ctx.root, env=env,
                          capture_output=True, text=True, timeout=300)
    result = SimpleNamespace(exit_code=proc.returncode, stdout=proc.stdout, stderr=proc.stderr, exception=None)
    _verdict(case_id, ctx, call, result, before)


def _verdict(case_id, ctx: Ctx, call, result, before: dict) -> None:
    """Judge one case's outcome; fail with a readable report of everything wrong."""
    case = CASES[case_id]
    top = ctx.top
    after = snapshot(top) if top.exists() else {}
    problems = judge(case, call, result, before, after, top, ctx.replaceable)
    if os.environ.get("SEQNET_FUZZ_LOG"):  # one line per case: id, expectation, exit, verdict, first stderr line
        first = ((result.stderr or "").strip().splitlines() or [""])[0]
        with open(os.environ["SEQNET_FUZZ_LOG"], "a") as fh:
            fh.write(f"{case_id}\t{case.expect}\t{result.exit_code}\t{'FAIL' if problems else 'pass'}\t"
                     f"{first.replace(str(ctx.root) + os.sep, '')[:300]}\n")
    if problems:
        head = lambda s: " | ".join((s or "").strip().splitlines()[:3])[:500]  # noqa: E731
        shown = [os.path.relpath(str(a), ctx.root) if os.path.isabs(str(a)) else str(a) for a in call.args]
        pytest.fail(
            f"[{case_id}] expected {case.expect}, exit {result.exit_code}\n"
            + "".join(f"  - {p}\n" for p in problems)
            + f"  stderr: {head(result.stderr)}\n  stdout: {head(result.stdout)}\n"
            + f"  command: seqnet {' '.join(shown)}",
            pytrace=False,
        )
