"""Hyperparameter search on Optuna: ``seqnet tune``.

* :mod:`~seqnet.tune.space` — the search space YAML: ranges and choices over recipe keys;
* :mod:`~seqnet.tune.study` — the study's database (SQLite by default, any RDB URL to
  share it between processes and machines), the per-trial seeded TPE sampler, the
  pruners, and trials a killed process left running;
* :mod:`~seqnet.tune.search` — :func:`tune`: the data and splits of ``seqnet train``,
  one :func:`~seqnet.training.loop.fit` per trial with pruning on the validation metric;
* :mod:`~seqnet.tune.report` — ``trials.tsv``, ``best.yaml``, figures, progress lines.
"""

from seqnet.tune.search import TuneResult, tune
from seqnet.tune.space import SearchSpace, read_space

__all__ = ["SearchSpace", "TuneResult", "read_space", "tune"]
