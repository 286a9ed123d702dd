"""The table input kind: one row of numeric features per sample.

Tensor contract: ``x`` ``(N, F)``, standardised per feature with the training split's
mean and standard deviation (kept in the checkpoint).  Predict reads the model's feature
columns by name, so other columns may come in any order.
"""

from __future__ import annotations

from pathlib import Path

from seqnet.datasets import ArraySet
from seqnet.errors import ConfigError, opt
from seqnet.kinds.arrays import ArrayInputs, ArrayKind


def load_table(path: str | Path, labels: str | Path, *, standardize: str = "feature", task: str = "auto",
               missing: str = "error") -> ArraySet:
    """Labelled feature table: samples x features, and a label table matching its ids one to one.

    Returns
    -------
    ArraySet
        ``x`` ``(N, F)``.
    """
    from seqnet.io.tables import read_features, read_labels

    feats = read_features(path)
    lab = read_labels(labels, feats.ids, ids_source=f"{Path(path).name} row", task=task, missing=missing)
    return ArraySet(
        ids=feats.ids, x=feats.x, y=lab.y, task_type=lab.task_type, names=list(lab.names), kind="table",
        preprocess={"standardize": standardize, "features": list(feats.names)},
    )


class TableKind(ArrayKind):
    """Feature tables: samples x numeric features."""

    def check_spec(self, spec, purpose: str) -> None:
        if purpose == "train" and spec.labels is None:
            raise ConfigError(f"{opt('table')} needs {opt('labels')} LABELS.tsv (sample id, then a class or a value)")

    def load(self, spec, data_cfg: dict, *, task: str = "auto", seed: int = 0, task_name: str | None = None) -> ArraySet:
        return load_table(spec.table, spec.labels, standardize=data_cfg["standardize"], task=task,
                          missing=data_cfg.get("missing_labels", "error"))

    def read(self, spec, tm) -> tuple[list[str], ArrayInputs]:
        from seqnet.io.tables import read_features

        # The model's feature columns, by name: other columns may be in any order, or text.
        feats = read_features(spec.table, columns=tm.preprocess["features"])
        return feats.ids, ArrayInputs(self.apply_standardizer(feats.x, tm.preprocess))


TABLE = TableKind(
    name="table",
    label="table",
    default_model="mlp",
    input_options=("table",),
    predict_options=("table",),
    options=frozenset({"table"}),
    train_options=frozenset(),
    data_keys=frozenset({"standardize"}),
    usage=(f"{opt('table')} FEATURES.tsv {opt('labels')} LABELS.tsv",),
    predict_usage=f"{opt('table')} FEATURES.tsv",
    give=f"{opt('table')}",
    class_hint="give one class label per sample",
    standardize=("feature", "none"),
    axes=(0,),
    nominal_shape=(20,),
    shape_words="features",
)
