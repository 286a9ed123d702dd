"""Shared fixtures: small simulated data sets, the shared real data, a CLI runner."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"

# A tiny, fast model recipe for end-to-end CLI tests.
TINY = ["--epochs", "2", "--batch-size", "32", "--quiet"]


@pytest.fixture(autouse=True, scope="session")
def private_token_cache(tmp_path_factory):
    """Runs on big shared-data files cache their tokens here, never in ~/.cache."""
    old = os.environ.get("SEQNET_CACHE")
    os.environ["SEQNET_CACHE"] = str(tmp_path_factory.mktemp("token-cache"))
    yield
    if old is None:
        os.environ.pop("SEQNET_CACHE", None)
    else:
        os.environ["SEQNET_CACHE"] = old


@pytest.fixture(autouse=True, scope="session")
def one_torch_thread():
    """Tests use tiny models: intra-op threads gain nothing, and on a busy 2-core machine
    their hand-offs make small LSTM steps orders of magnitude slower."""
    import torch

    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """``../shared/data``; tests using it skip when it is absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"real data not found at {SHARED_DATA} (../shared/data is absent)")
    return SHARED_DATA


@pytest.fixture(scope="session")
def sim(tmp_path_factory):
    """A small planted-motif data set (seeded): positives/negatives and multi-label."""
    from seqnet.simulate import simulate

    return simulate(tmp_path_factory.mktemp("sim"), n=150, length=80, seed=3,
                    motifs=["CTCF", "MA0080", "MA0466"])


@pytest.fixture(scope="session")
def tiny_config(tmp_path_factory) -> Path:
    """A YAML recipe for a small DeepBind model."""
    path = tmp_path_factory.mktemp("cfg") / "tiny.yaml"
    path.write_text("model_args:\n  n_filters: 8\n  filter_width: 11\n  hidden: 8\n")
    return path


@pytest.fixture
def cli():
    """Run ``seqnet ARGS...`` in-process; returns click's Result (stdout / stderr apart)."""
    from seqnet.cli import main

    runner = CliRunner()

    def run(*args):
        return runner.invoke(main, [str(a) for a in args], catch_exceptions=False)

    return run


def write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def pytest_collection_modifyitems(config, items):
    """Tests marked ``gpu`` skip (with a reason) where CUDA is not available."""
    import torch

    if torch.cuda.is_available():
        return
    skip = pytest.mark.skip(reason="needs a CUDA device (marker: gpu)")
    for item in items:
        if "gpu" in item.keywords:
            item.add_marker(skip)


@pytest.fixture
def flag_spelling():
    """Messages name parameters as the command line does (``--batch-size``), as in the CLI."""
    from seqnet.cli import flag_of
    from seqnet.errors import spelled_as_flags

    with spelled_as_flags(flag_of):
        yield
