"""The image input kind: CSV, NPZ or IDX images (see :mod:`seqnet.io.images`).

Tensor contract: ``x`` ``(N, C, H, W)``, standardised per channel with the training
split's mean and standard deviation (kept in the checkpoint).  CSV and NPZ files carry
their labels; IDX images take theirs from a second IDX file (``labels``).
"""

from __future__ import annotations

from pathlib import Path

from seqnet.datasets import ArraySet
from seqnet.errors import opt
from seqnet.kinds.arrays import ArrayInputs, ArrayKind, _label_task


def load_images(
    path: str | Path,
    *,
    labels: str | Path | None = None,
    image_shape=None,
    standardize: str = "channel",
    task: str = "auto",
) -> ArraySet:
    """Labelled images from a CSV, NPZ or IDX file (see :mod:`seqnet.io.images`).

    Returns
    -------
    ArraySet
        ``x`` ``(N, C, H, W)``.
    """
    from seqnet.io.images import read_images

    im = read_images(path, shape=image_shape, labels=labels, need_labels=True, task=task)
    lab = im.labels
    return ArraySet(
        ids=im.ids, x=im.x, y=lab.y, task_type=lab.task_type, names=list(lab.names), kind="image",
        preprocess={"standardize": standardize, "image_shape": list(im.shape)},
    )


class ImageKind(ArrayKind):
    """Images, one or more channels."""

    def check_data_config(self, data: dict) -> None:
        from seqnet.io.images import parse_shape

        super().check_data_config(data)
        parse_shape(data.get("image_shape"), source=f"{opt('image_shape')} / data.image_shape")

    def record_config(self, cfg: dict, data: ArraySet) -> None:
        from seqnet.io.images import format_shape

        cfg["data"]["image_shape"] = format_shape(data.shape)

    def check_spec(self, spec, purpose: str) -> None:
        """Labels come inside CSV / NPZ files or as an IDX file: checked by the reader."""

    def load(self, spec, data_cfg: dict, *, task: str = "auto", seed: int = 0, task_name: str | None = None) -> ArraySet:
        return load_images(spec.images, labels=spec.labels, image_shape=data_cfg.get("image_shape"),
                           standardize=data_cfg["standardize"], task=task)

    def read(self, spec, tm) -> tuple[list[str], ArrayInputs]:
        from seqnet.io.images import read_images

        im = read_images(spec.images, shape=tuple(tm.preprocess["image_shape"]), need_labels=False)
        return im.ids, ArrayInputs(self.apply_standardizer(im.x, tm.preprocess))

    def labelled_for_model(self, spec, tm, missing: str = "error") -> ArraySet:
        from seqnet.io.images import read_images

        im = read_images(spec.images, shape=tuple(tm.preprocess["image_shape"]), labels=spec.labels, need_labels=True,
                         task=_label_task(tm))
        lab = im.labels
        return ArraySet(ids=im.ids, x=self.apply_standardizer(im.x, tm.preprocess), y=lab.y, task_type=lab.task_type,
                        names=list(lab.names), kind=self.name)


IMAGE = ImageKind(
    name="image",
    label="image",
    default_model="lenet",
    input_options=("images",),
    predict_options=("images",),
    options=frozenset({"images", "image_shape"}),
    train_options=frozenset(),
    data_keys=frozenset({"standardize", "image_shape"}),
    usage=(f"{opt('images')} IMAGES.csv|.npz|.idx",),
    predict_usage=f"{opt('images')} IMAGES.csv|.npz|.idx",
    give=f"{opt('images')}",
    class_hint="give one class label per sample",
    standardize=("channel", "none"),
    axes=(0, 2, 3),
    nominal_shape=(1, 28, 28),
    shape_words="C x H x W",
)
