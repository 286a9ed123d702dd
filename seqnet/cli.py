"""The ``seqnet`` command line: thin click commands over the library.

User mistakes raise :class:`seqnet.errors.SeqnetError`; the group turns them into one
``Error: ...`` line on stderr and exit status 1, without a traceback.  Heavy imports
(torch) happen inside the commands so ``seqnet --help`` stays fast.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from seqnet import __version__
from seqnet.errors import ConfigError, SeqnetError


class SeqnetGroup(click.Group):
    """A click group that reports :class:`SeqnetError` as one line and exits 1."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except SeqnetError as exc:
            click.echo(f"Error: {exc}", err=True)
            ctx.exit(1)
        except OSError as exc:
            # Unwritable output directory, disk full, ...: the user's environment, not a bug.
            where = f"{exc.filename}: " if getattr(exc, "filename", None) else ""
            click.echo(f"Error: {where}{exc.strerror or exc}", err=True)
            ctx.exit(1)


@click.group(cls=SeqnetGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="seqnet")
@click.option(
    "--threads", type=int, envvar="SEQNET_THREADS", show_envvar=True,
    help="CPU threads for torch (default: torch's, one per core). Use 1 when other jobs share the machine.",
)
def main(threads: int | None) -> None:
    """Deep learning on biological data: train, evaluate and predict."""
    if threads is not None:
        if threads < 1:
            raise ConfigError(f"--threads must be >= 1, got {threads}")
        import torch

        # Intra-op threads that outnumber free cores hand work off to each other and crawl.
        torch.set_num_threads(threads)


def _input_options(fn):
    """Options shared by ``train`` and ``evaluate`` to name labelled inputs of any kind."""
    opts = [
        click.option("--positives", type=click.Path(path_type=Path), help="FASTA (.gz ok) of positive (bound) sequences."),
        click.option(
            "--negatives",
            type=str,
            help="FASTA of negatives, or 'shuffle' (dinucleotide-shuffled positives), or 'genome' (GC-matched genomic background; with --bed).",
        ),
        click.option("--fasta", type=click.Path(path_type=Path), help="FASTA of all sequences (with --labels)."),
        click.option(
            "--labels",
            type=click.Path(path_type=Path),
            help="TSV/CSV: record id, then one 0/1 column per task, one class column, or numeric targets (regression). "
            "With IDX --images: the IDX labels file.",
        ),
        click.option("--bed", type=click.Path(path_type=Path), help="BED peaks (positives), with --genome."),
        click.option("--genome", type=click.Path(path_type=Path), help="Genome FASTA for --bed (indexed with pyfaidx; .fai built if missing)."),
        click.option("--tile", is_flag=True, help="Cut each BED interval into consecutive --length windows instead of centring one window on it."),
        *_array_options(),
    ]
    for opt in reversed(opts):
        fn = opt(fn)
    return fn


def _array_options() -> list:
    """Options naming time-series, table and image inputs (train, evaluate, predict)."""
    return [
        click.option(
            "--timeseries",
            type=click.Path(path_type=Path),
            help="Expression matrix TSV/CSV (.gz ok): rows = genes/samples, columns = conditions; with --conditions.",
        ),
        click.option("--conditions", type=click.Path(path_type=Path), help="TSV for --timeseries: condition (matrix column), series, time."),
        click.option("--table", type=click.Path(path_type=Path), help="Feature table TSV/CSV (.gz ok): sample id, then one numeric column per feature."),
        click.option("--images", type=click.Path(path_type=Path), help="Images: CSV (pixels then label per row), NPZ (arrays x, y) or IDX (labels in --labels)."),
    ]


#: Options naming the input, and the input kind each names.
_KIND_OPTIONS = {"--positives": "sequence", "--fasta": "sequence", "--bed": "sequence",
                 "--timeseries": "timeseries", "--table": "table", "--images": "image"}

_ONE_WAY = (
    "name the input one way: --positives POS.fa --negatives NEG.fa|shuffle, or --fasta SEQS.fa --labels LABELS.tsv, "
    "or --bed PEAKS.bed --genome GENOME.fa, or --timeseries EXPR.tsv --conditions CONDITIONS.tsv --labels LABELS.tsv, "
    "or --table FEATURES.tsv --labels LABELS.tsv, or --images IMAGES.csv|.npz|.idx"
)


def _input_kind(one_way: str = _ONE_WAY, **given) -> str:
    """The input kind of the one input option given (``fasta=...``, ``timeseries=...``, ...)."""
    named = [opt for opt in _KIND_OPTIONS if given.get(opt[2:]) is not None]
    if len(named) != 1:
        raise ConfigError(one_way + (f" (got {' and '.join(named)})" if named else ""))
    return _KIND_OPTIONS[named[0]]


#: Options that go with some input kinds only.
_KIND_ONLY = {
    "--negatives": ("sequence",), "--genome": ("sequence",), "--tile": ("sequence",), "--test-chroms": ("sequence",),
    "--valid-chroms": ("sequence",), "--task-name": ("sequence",), "--rc-average": ("sequence",),
    "--conditions": ("timeseries",), "--series": ("timeseries",), "--time-points": ("timeseries",),
    "--image-shape": ("image",),
}


def _check_kind_options(kind: str, **given) -> None:
    """Reject an option given for an input kind it does not apply to (``test_chroms=...``)."""
    from seqnet.models import KIND_NAMES

    for key, value in given.items():
        opt = "--" + key.replace("_", "-")
        if value not in (None, False) and kind not in _KIND_ONLY[opt]:
            goes = " or ".join(KIND_NAMES[k] for k in _KIND_ONLY[opt])
            raise ConfigError(f"{opt} goes with {goes} input, not with {KIND_NAMES[kind]} input")


def _load_arrays(kind: str, *, timeseries, conditions, labels, table, images, data_cfg: dict, task: str):
    """Load a labelled ArraySet of ``kind`` with the resolved ``data`` config section."""
    from seqnet import arrays

    if kind == "timeseries":
        if conditions is None:
            raise ConfigError("--timeseries needs --conditions CONDITIONS.tsv (condition, series, time per matrix column)")
        if labels is None:
            raise ConfigError("--timeseries needs --labels LABELS.tsv (row id, then a class or a value)")
        return arrays.load_timeseries(
            timeseries, conditions, labels, series=data_cfg.get("series"), time_points=data_cfg.get("time_points"),
            standardize=data_cfg["standardize"], task=task,
        )
    if kind == "table":
        if labels is None:
            raise ConfigError("--table needs --labels LABELS.tsv (sample id, then a class or a value)")
        return arrays.load_table(table, labels, standardize=data_cfg["standardize"], task=task)
    return arrays.load_images(images, labels=labels, image_shape=data_cfg.get("image_shape"),
                              standardize=data_cfg["standardize"], task=task)


def _kind_mismatch(tm, run, kind: str) -> None:
    """InputError when the input kind is not the one the model ``tm`` was trained on."""
    from seqnet.errors import InputError
    from seqnet.models import KIND_NAMES

    if kind != tm.kind:
        wanted = {"sequence": "--fasta", "timeseries": "--timeseries with --conditions", "table": "--table",
                  "image": "--images"}[tm.kind]
        raise InputError(
            f"{run}: the model was trained on {KIND_NAMES[tm.kind]} input; give {wanted}, not {KIND_NAMES[kind]} input"
        )


def _array_options_decorator(fn):
    """Add :func:`_array_options` to a command (``predict``)."""
    for opt in reversed(_array_options()):
        fn = opt(fn)
    return fn


def _load_inputs(
    *, positives, negatives, fasta, labels, bed, genome, tile, alphabet, length, max_length, seed, task_name,
    task="auto",
):
    """Load a SequenceSet from whichever input mode the options name."""
    from seqnet import data as data_mod

    modes = [name for name, given in (("--positives", positives), ("--fasta", fasta), ("--bed", bed)) if given is not None]
    if len(modes) != 1:
        raise ConfigError(
            "name the sequences one way: --positives POS.fa --negatives NEG.fa|shuffle, "
            "or --fasta SEQS.fa --labels LABELS.tsv, or --bed PEAKS.bed --genome GENOME.fa"
            + (f" (got {' and '.join(modes)})" if modes else "")
        )
    mode = modes[0]
    if tile and mode != "--bed":
        raise ConfigError("--tile goes with --bed")
    if task == "regression" and mode != "--fasta":
        raise ConfigError("--task regression needs a label table: --fasta SEQS.fa --labels LABELS.tsv")
    if mode == "--positives":
        if negatives is None:
            raise ConfigError("--positives needs --negatives NEG.fa or --negatives shuffle")
        if negatives == "genome":
            raise ConfigError("--negatives genome needs --bed PEAKS.bed --genome GENOME.fa")
        return data_mod.load_positives_negatives(
            positives, negatives, alphabet=alphabet, length=length, max_length=max_length, seed=seed, task_name=task_name
        )
    if mode == "--fasta":
        if labels is None:
            raise ConfigError("--fasta needs --labels LABELS.tsv")
        if negatives is not None:
            raise ConfigError("--negatives goes with --positives or --bed, not with --fasta/--labels")
        return data_mod.load_fasta_labels(fasta, labels, alphabet=alphabet, length=length, max_length=max_length,
                                          task=task)
    if genome is None:
        raise ConfigError("--bed needs --genome GENOME.fa")
    if negatives is None:
        raise ConfigError("--bed needs --negatives shuffle or --negatives genome")
    if alphabet.name != "dna":
        raise ConfigError("--bed/--genome input is DNA; drop --alphabet or use --alphabet dna")
    return data_mod.load_bed(bed, genome, negatives, length=length or 200, tile=tile, seed=seed, task_name=task_name)


def _split_list(value: str | None) -> list[str] | None:
    if value is None:
        return None
    items = [v.strip() for v in value.split(",") if v.strip()]
    return items or None


_TRAIN_PARAMS = (
    "positives", "negatives", "fasta", "labels", "bed", "genome", "tile", "timeseries", "conditions", "table", "images",
    "out", "model_name", "config_file", "length", "alphabet", "task_name", "task", "series", "time_points",
    "standardize", "image_shape", "epochs", "batch_size", "lr", "weight_decay", "patience", "monitor", "rc_augment",
    "unknown", "valid_fraction", "test_fraction", "test_chroms", "valid_chroms", "seed", "device", "overwrite", "quiet",
)


@main.command()
@_input_options
@click.option("--out", "-o", type=click.Path(path_type=Path), help="Run directory to create.")
@click.option("--resume", type=click.Path(path_type=Path),
              help="Continue the interrupted run aimed at this --out, with its original options.")
@click.option("--model", "model_name", type=str, help="Architecture (default: deepbind, or the --config file's).")
@click.option("--config", "config_file", type=click.Path(path_type=Path), help="YAML recipe overriding the model's defaults.")
@click.option("--length", type=int, help="Input length: longer sequences are centre-cropped, shorter ones padded with N.")
@click.option("--alphabet", type=click.Choice(["dna", "rna", "protein"]), help="Sequence alphabet (default dna).")
@click.option("--task-name", type=str, help="Name of the single task of --positives/--bed input (default: from the file name).")
@click.option("--task", type=click.Choice(["auto", "classification", "regression"]), default="auto", show_default=True,
              help="How to read --labels: auto = regression when the labels are numbers with fractions.")
@click.option("--series", type=str, help="--timeseries: comma-separated series to use, in channel order (default: every series with >= 3 time points).")
@click.option("--time-points", type=int, help="--timeseries: grid points per series (default: the longest series' number of time points).")
@click.option("--standardize", type=str, help="gene|series|none (time series), feature|none (tables), channel|none (images).")
@click.option("--image-shape", type=str, help="--images: HxW or CxHxW, e.g. 28x28 (default: inferred from square images).")
@click.option("--epochs", type=int, help="Maximum epochs.")
@click.option("--batch-size", type=int)
@click.option("--lr", type=float, help="Adam learning rate.")
@click.option("--weight-decay", type=float)
@click.option("--patience", type=int, help="Epochs without validation improvement before stopping.")
@click.option("--monitor", type=click.Choice(["auroc", "loss", "accuracy"]), help="Early-stopping criterion (accuracy: multi-class only).")
@click.option("--rc-augment/--no-rc-augment", default=None, help="Reverse-complement augmentation (DNA/RNA).")
@click.option("--reshuffle/--no-reshuffle", default=None,
              help="With --negatives shuffle: draw the training negatives afresh every epoch, on the training device.")
@click.option("--unknown", type=click.Choice(["zeros", "uniform"]), help="One-hot of N / ambiguity codes.")
@click.option("--valid-fraction", type=float)
@click.option("--test-fraction", type=float)
@click.option("--test-chroms", type=str, help="Comma-separated chromosomes held out for testing (needs coordinates).")
@click.option("--valid-chroms", type=str, help="Comma-separated chromosomes for validation.")
@click.option("--seed", type=int, help="Random seed (splits, shuffles, initialisation, batch order).")
@click.option("--device", type=str, help="auto, cpu or cuda[:N].")
@click.option("--compile", "compile_", is_flag=True, help="Train through torch.compile (for long GPU runs).")
@click.option("--overwrite", is_flag=True, help="Replace an existing run directory.")
@click.option("--quiet", "-q", is_flag=True, help="No console output but the final metrics.")
def train(resume, **params):
    """Train a model and write a run directory.

    \b
    Examples:
      seqnet train --positives peaks.fa --negatives shuffle --out run1
      seqnet train --fasta seqs.fa --labels labels.tsv --model deepbind --out run2
      seqnet train --bed peaks.bed --genome hg38.fa --negatives genome --length 200 --out run3
      seqnet train --timeseries expr.tsv.gz --conditions conditions.tsv --labels phases.tsv --model lstm --out run4
      seqnet train --table features.tsv --labels labels.tsv --model mlp --out run5
      seqnet train --images mnist.csv.gz --model lenet --out run6
      seqnet train --resume run1          # after a kill: go on from the last epoch

    Every epoch saves the run's state to .<out>.last.pt beside --out; --resume
    continues from it with the original options (only --quiet and --device may
    change) and ends with the same result as an uninterrupted run.  Under
    torchrun (torchrun --nproc_per_node N -m seqnet train ...) the processes train
    together with PyTorch DDP; --batch-size is per process.
    """
    state = None
    if resume is not None:
        from seqnet.train import load_resume_state

        state = load_resume_state(resume)
        given = {k: params[k] for k in ("quiet", "device") if params[k]}
        params = {**state["params"], **given}
    elif params["out"] is None:
        raise ConfigError("--out is required (or --resume RUN to continue an interrupted run)")
    _train(params, state)


def _train(params: dict, state: dict | None) -> None:
    """The body of ``seqnet train`` for its options ``params`` (see :func:`train`)."""
    (positives, negatives, fasta, labels, bed, genome, tile, timeseries, conditions, table, images, out, model_name,
     config_file, length, alphabet, task_name, task, series, time_points, standardize, image_shape, epochs, batch_size,
     lr, weight_decay, patience, monitor, rc_augment, unknown, valid_fraction, test_fraction, test_chroms, valid_chroms,
     seed, device, overwrite, quiet) = (params[k] for k in _TRAIN_PARAMS)
    compile_ = params.get("compile_", False)
    from seqnet import config as config_mod
    from seqnet.alphabets import get_alphabet
    from seqnet.metrics import format_table
    from seqnet.train import train_run
    from seqnet.utils import check_out_dir

    kind = _input_kind(positives=positives, fasta=fasta, bed=bed, timeseries=timeseries, table=table, images=images)
    _check_kind_options(kind, negatives=negatives, genome=genome, tile=tile, test_chroms=test_chroms,
                        valid_chroms=valid_chroms, task_name=task_name, conditions=conditions, series=series,
                        time_points=time_points, image_shape=image_shape)
    overrides = {
        "train": {"epochs": epochs, "batch_size": batch_size, "lr": lr, "weight_decay": weight_decay,
                  "patience": patience, "monitor": monitor, "rc_augment": rc_augment,
                  "reshuffle": params.get("reshuffle")},
        "data": {"alphabet": alphabet, "length": length, "unknown": unknown,
                 "valid_fraction": valid_fraction, "test_fraction": test_fraction, "standardize": standardize,
                 "series": _split_list(series), "time_points": time_points, "image_shape": image_shape},
        "seed": seed,
        "device": device,
    }
    cfg = config_mod.resolve(model_name, config_file, overrides, kind=kind)
    check_out_dir(out, overwrite)
    d = cfg["data"]
    if kind == "sequence":
        data = _load_inputs(
            positives=positives, negatives=negatives, fasta=fasta, labels=labels, bed=bed, genome=genome, tile=tile,
            alphabet=get_alphabet(d["alphabet"]), length=d["length"], max_length=d["max_length"], seed=cfg["seed"],
            task_name=task_name, task=task,
        )
    else:
        data = _load_arrays(kind, timeseries=timeseries, conditions=conditions, labels=labels, table=table,
                            images=images, data_cfg=d, task=task)
    inputs = {k: v for k, v in (("positives", positives), ("negatives", negatives), ("fasta", fasta),
                                ("labels", labels), ("bed", bed), ("genome", genome), ("timeseries", timeseries),
                                ("conditions", conditions), ("table", table), ("images", images)) if v is not None}
    metrics = train_run(
        data, cfg, out, overwrite=overwrite, quiet=quiet,
        test_chroms=_split_list(test_chroms), valid_chroms=_split_list(valid_chroms), inputs=inputs,
        run_params=params, resume=state, compile=compile_,
    )
    click.echo(format_table(metrics))
    click.echo(f"run directory: {out}")


@main.command()
@click.argument("run", type=click.Path(path_type=Path))
@_input_options
@click.option("--out", "-o", type=click.Path(path_type=Path), help="Write the metrics as JSON here.")
@click.option("--rc-average", is_flag=True, help="Average the predictions of both strands.")
@click.option("--batch-size", type=int, default=1024, show_default=True)
@click.option("--seed", type=int, default=0, show_default=True, help="Seed for --negatives shuffle.")
@click.option("--device", type=str, default="auto", show_default=True)
def evaluate(run, positives, negatives, fasta, labels, bed, genome, tile, timeseries, conditions, table, images, out,
             rc_average, batch_size, seed, device):
    """Score a trained model (RUN: run directory or model.pt) on labelled inputs of its kind.

    \b
    Examples:
      seqnet evaluate runs/ctcf --positives test_pos.fa --negatives test_neg.fa --out test.json
      seqnet evaluate runs/yeast --timeseries expr.tsv --conditions conditions.tsv --labels phases.tsv
      seqnet evaluate runs/mnist --images test.csv.gz
    """
    from seqnet.checkpoint import load
    from seqnet.data import align_targets
    from seqnet.metrics import format_table, score
    from seqnet.predict import predict_proba
    from seqnet.utils import resolve_device, write_json_atomic

    if batch_size < 1:
        raise ConfigError(f"--batch-size must be >= 1, got {batch_size}")
    kind = _input_kind(positives=positives, fasta=fasta, bed=bed, timeseries=timeseries, table=table, images=images)
    _check_kind_options(kind, negatives=negatives, genome=genome, tile=tile, conditions=conditions,
                        rc_average=rc_average)
    dev = resolve_device(device)
    tm = load(run, map_location=dev)
    _kind_mismatch(tm, run, kind)
    if kind != "sequence":
        from seqnet import arrays
        from seqnet.predict import predict_arrays

        if kind == "timeseries" and conditions is None:
            raise ConfigError("--timeseries needs --conditions CONDITIONS.tsv (condition, series, time per matrix column)")
        data = arrays.labelled_inputs(tm.kind, tm.preprocess, tm.task_type, timeseries=timeseries,
                                      conditions=conditions, labels=labels, table=table, images=images)
        y = arrays.align_targets(data, tm, source=str(labels or images))
        prob = predict_arrays(tm.model, data.x, mask=data.mask, task_type=tm.task_type, batch_size=batch_size,
                              device=dev)
        metrics = score(y, prob, tm.task_type, tm.names, split="all")
        click.echo(format_table(metrics))
        if out is not None:
            write_json_atomic(out, metrics)
        return
    data = _load_inputs(
        positives=positives, negatives=negatives, fasta=fasta, labels=labels, bed=bed, genome=genome, tile=tile,
        alphabet=tm.alphabet, length=tm.length, max_length=tm.length, seed=seed,
        task_name=tm.names[0] if len(tm.names) == 1 else None,
        task="regression" if tm.task_type == "regression" and fasta is not None else "auto",
    )
    y = align_targets(data, tm, source=str(labels or positives or bed), from_table=labels is not None)
    if rc_average and not tm.alphabet.has_complement:
        raise ConfigError(f"--rc-average: the {tm.alphabet.name} alphabet has no reverse complement")
    prob = predict_proba(
        tm.model, data.tokens, alphabet=tm.alphabet, task_type=tm.task_type,
        unknown=tm.preprocess.get("unknown", "zeros"), batch_size=batch_size, device=dev, rc_average=rc_average,
        lengths=data.lengths,
    )
    metrics = score(y, prob, tm.task_type, tm.names, split="all")
    click.echo(format_table(metrics))
    if out is not None:
        write_json_atomic(out, metrics)


@main.command()
@click.argument("run", type=click.Path(path_type=Path))
@click.option("--fasta", type=click.Path(path_type=Path), help="FASTA (.gz ok) of sequences to score.")
@_array_options_decorator
@click.option("--out", "-o", required=True, type=click.Path(path_type=Path),
              help="Output TSV: id + one column per task / class (probabilities) or regression target (values).")
@click.option("--rc-average", is_flag=True, help="Average the predictions of both strands.")
@click.option("--batch-size", type=int, default=1024, show_default=True)
@click.option("--device", type=str, default="auto", show_default=True)
def predict(run, fasta, timeseries, conditions, table, images, out, rc_average, batch_size, device):
    """Predict with a trained model (RUN: run directory or model.pt) on inputs of its kind.

    Sequences of another length than the model's are centre-cropped or padded with N.
    Time series are put on the model's time grid, tables and images standardised with
    the training statistics.

    \b
    Examples:
      seqnet predict runs/ctcf --fasta new.fa --out predictions.tsv
      seqnet predict runs/yeast --timeseries expr.tsv --conditions conditions.tsv --out phases.tsv
      seqnet predict runs/mnist --images new_digits.csv --out digits.tsv
    """
    import pandas as pd

    from seqnet.checkpoint import load
    from seqnet.data import read_sequences
    from seqnet.predict import predict_arrays, predict_proba
    from seqnet.utils import atomic_path, resolve_device

    if batch_size < 1:
        raise ConfigError(f"--batch-size must be >= 1, got {batch_size}")
    kind = _input_kind(
        "name the input one way: --fasta SEQS.fa, --timeseries EXPR.tsv --conditions CONDITIONS.tsv, "
        "--table FEATURES.tsv or --images IMAGES.csv|.npz|.idx",
        fasta=fasta, timeseries=timeseries, table=table, images=images,
    )
    _check_kind_options(kind, conditions=conditions, rc_average=rc_average)
    if kind == "timeseries" and conditions is None:
        raise ConfigError("--timeseries needs --conditions CONDITIONS.tsv (condition, series, time per matrix column)")
    dev = resolve_device(device)
    tm = load(run, map_location=dev)
    _kind_mismatch(tm, run, kind)
    if kind != "sequence":
        from seqnet.arrays import read_inputs

        ids, x, mask = read_inputs(tm.kind, tm.preprocess, timeseries=timeseries, conditions=conditions, table=table,
                                   images=images)
        prob = predict_arrays(tm.model, x, mask=mask, task_type=tm.task_type, batch_size=batch_size, device=dev)
    else:
        if rc_average and not tm.alphabet.has_complement:
            raise ConfigError(f"--rc-average: the {tm.alphabet.name} alphabet has no reverse complement")
        ids, tokens, lengths = read_sequences(fasta, tm.alphabet, tm.length)
        prob = predict_proba(
            tm.model, tokens, alphabet=tm.alphabet, task_type=tm.task_type,
            unknown=tm.preprocess.get("unknown", "zeros"), batch_size=batch_size, device=dev, rc_average=rc_average,
            lengths=lengths,
        )
    table = pd.DataFrame(prob, columns=tm.names)
    table.insert(0, "id", ids)
    with atomic_path(out) as tmp:
        table.to_csv(tmp, sep="\t", index=False, float_format="%.6g")
    click.echo(f"wrote {len(ids)} predictions to {out}", err=True)


@main.command()
@click.argument("run", type=click.Path(path_type=Path))
@click.option("--fasta", required=True, type=click.Path(path_type=Path), help="Sequences to scan (e.g. the training positives).")
@click.option("--out", "-o", required=True, type=click.Path(path_type=Path), help="Output directory.")
@click.option("--negatives", type=str, help="Negatives FASTA or 'shuffle', to rank filters by their AUROC influence.")
@click.option("--labels", type=click.Path(path_type=Path), help="Label table for --fasta, to rank filters by their AUROC influence.")
@click.option("--threshold", type=float, default=0.5, show_default=True, help="Site threshold between a filter's mean and max activation.")
@click.option("--trim-bits", type=float, default=0.2, show_default=True, help="Trim flanking columns below this information content.")
@click.option("--min-sites", type=int, default=10, show_default=True, help="Skip filters with fewer sites.")
@click.option("--merge-rc/--no-merge-rc", default=None, help="Merge reverse-complement twin filters (default: when trained with RC augmentation).")
@click.option("--db", type=click.Path(path_type=Path), help="MEME motif file to match against (default: JASPAR CORE from pyjaspar).")
@click.option("--jaspar-release", type=str, help="JASPAR release, e.g. JASPAR2024 (default: the newest shipped).")
@click.option("--taxon", type=str, default="vertebrates", show_default=True, help="JASPAR taxon ('all' for every taxon).")
@click.option("--influence-sequences", type=int, default=2000, show_default=True, help="Measure filter influence on at most this many records (0 = all).")
@click.option("--batch-size", type=int, default=256, show_default=True)
@click.option("--device", type=str, default="auto", show_default=True)
@click.option("--overwrite", is_flag=True, help="Replace an existing output directory.")
def motifs(run, fasta, out, negatives, labels, threshold, trim_bits, min_sites, merge_rc, db, jaspar_release, taxon,
           influence_sequences, batch_size, device, overwrite):
    """Turn a model's first-layer filters into motifs, matched against JASPAR.

    \b
    Writes to OUT: motifs.meme, motifs.jaspar, motifs.transfac, motifs.homer,
    matches.tsv (best match per motif, ranked by filter influence), all_matches.tsv
    (every match at q < 0.05), filters.tsv, logos/ and report.html.
    """
    from seqnet.motifs.pipeline import motif_report

    if batch_size < 1:
        raise ConfigError(f"--batch-size must be >= 1, got {batch_size}")
    table = motif_report(
        run, fasta, out, negatives=negatives, labels=labels, threshold=threshold, trim_bits=trim_bits,
        min_sites=min_sites, merge_rc=merge_rc, db=db, jaspar_release=jaspar_release,
        taxon=None if taxon == "all" else taxon, influence_sequences=influence_sequences, batch_size=batch_size,
        device=device, overwrite=overwrite,
    )
    shown = table.head(10)
    click.echo(f"{len(table)} motifs; top {len(shown)} by influence:")
    for r in shown.itertuples():
        match = "-" if r.best_match_id is None or r.q != r.q else f"{r.best_match_id} {r.best_match_name} (q={r.q:.2g})"
        click.echo(f"  {r.motif:<12} {r.consensus:<24} sites {r.nsites:>6}  influence {r.influence:8.4f}  {match}")
    click.echo(f"report: {Path(out) / 'report.html'}")


@main.command()
@click.argument("run", type=click.Path(path_type=Path))
@click.option("--fasta", required=True, type=click.Path(path_type=Path), help="Sequences to explain.")
@click.option("--out", "-o", required=True, type=click.Path(path_type=Path), help="Output directory.")
@click.option("--target", type=str, help="Output (task or class) to explain (default: the first).")
@click.option("--methods", type=str, default="saliency,ism", show_default=True, help="saliency (gradient x input) and/or ism (in-silico mutagenesis).")
@click.option("--top", type=int, default=10, show_default=True, help="Plot the sequences with the highest predicted probability.")
@click.option("--batch-size", type=int, default=64, show_default=True)
@click.option("--device", type=str, default="auto", show_default=True)
@click.option("--overwrite", is_flag=True, help="Replace an existing output directory.")
def attribute(run, fasta, out, target, methods, top, batch_size, device, overwrite):
    """Per-base attribution maps: gradient x input and in-silico mutagenesis.

    \b
    Writes to OUT: attributions.npz, attributions.tsv, predictions.tsv and plots/.
    """
    from seqnet.motifs.pipeline import attribution_maps

    if batch_size < 1:
        raise ConfigError(f"--batch-size must be >= 1, got {batch_size}")
    table = attribution_maps(run, fasta, out, target=target, methods=_split_list(methods) or [], top=top,
                             batch_size=batch_size, device=device, overwrite=overwrite)
    click.echo(f"attributions for {len(table)} sequences, {int(table.plotted.sum())} plotted: {out}")


@main.command("models")
@click.option("--kind", type=click.Choice(["all", "sequence", "timeseries", "table", "image"]), default="all",
              show_default=True, help="Input kind whose models to list.")
@click.option("--length", type=int, default=1000, show_default=True, help="Input length for parameter counts (sequence models).")
@click.option("--alphabet", type=click.Choice(["dna", "rna", "protein"]), default="dna", show_default=True)
def models_cmd(kind, length, alphabet):
    """List the registered architectures per input kind: parameters and receptive field.

    Each input kind has its own model names: `--model lstm` is the sequence LSTM with
    --fasta, the time-series LSTM with --timeseries.
    """
    from seqnet.alphabets import get_alphabet
    from seqnet.models import KIND_NAMES, KINDS, NOMINAL_SHAPES, describe_models

    if length < 1:
        raise ConfigError(f"--length must be >= 1, got {length}")
    for k in KINDS if kind == "all" else [kind]:
        if kind == "all":
            click.echo(f"{KIND_NAMES[k]} models:" if k == "sequence" else f"\n{KIND_NAMES[k]} models:")
        if k == "sequence":
            rows = describe_models(length=length, n_channels=get_alphabet(alphabet).size)
        else:
            rows = describe_models(kind=k)
        width = max(len("model"), *(len(r["name"]) for r in rows))
        if k == "sequence":
            click.echo(f"{'model':<{width}}  {'parameters':>10}  {'receptive field':>15}  description")
        else:
            click.echo(f"{'model':<{width}}  {'parameters':>10}  description")
        for r in rows:
            if k == "sequence":
                rf = "whole input" if r["receptive_field"] is None else f"{r['receptive_field']} bp"
                click.echo(f"{r['name']:<{width}}  {r['params']:>10,}  {rf:>15}  {r['description']}")
            else:
                click.echo(f"{r['name']:<{width}}  {r['params']:>10,}  {r['description']}")
        if k == "sequence":
            click.echo(f"(parameters for {alphabet.upper() if alphabet != 'protein' else 'protein'} input of length {length}, one output, packaged recipe)")
        else:
            shape = "x".join(map(str, NOMINAL_SHAPES[k]))
            what = {"timeseries": "time points x series, with masks", "table": "features", "image": "C x H x W"}[k]
            click.echo(f"(parameters for input {shape} ({what}), one output, packaged recipe)")


@main.command()
@click.option("--out", "-o", required=True, type=click.Path(path_type=Path), help="Directory to write the data set into.")
@click.option("--n", "n", type=int, default=2000, show_default=True, help="Sequences per class (and in the multi-label set).")
@click.option("--length", type=int, default=200, show_default=True)
@click.option("--motifs", type=str, help="Comma-separated JASPAR ids or TF names to plant (default: a fixed set of 6+).")
@click.option("--gc", type=float, default=0.42, show_default=True, help="GC fraction of the background.")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--gzip", "gzip_", is_flag=True, help="Write .fa.gz files.")
def simulate(out, n, length, motifs, gc, seed, gzip_):
    """Make a planted-motif data set (JASPAR motifs sampled into random background)."""
    from seqnet.simulate import simulate as run_simulation

    result = run_simulation(out, n=n, length=length, motifs=_split_list(motifs), gc=gc, seed=seed, gzip=gzip_)
    click.echo(f"wrote {out}: {len(result.motifs)} motifs ({', '.join(m.alt_name or m.name for m in result.motifs)})")



@main.command()
@click.option("--positives", type=click.Path(path_type=Path), help="FASTA (.gz ok) of positive sequences.")
@click.option("--bed", type=click.Path(path_type=Path), help="BED peaks (positives), with --genome.")
@click.option("--genome", type=click.Path(path_type=Path), help="Genome FASTA for --bed (indexed with pyfaidx; .fai built if missing).")
@click.option("--tile", is_flag=True, help="Cut each BED interval into consecutive --length windows instead of centring one window on it.")
@click.option("--length", type=int, help="Window length for --bed.  [default: 200]")
@click.option("--table", type=click.Path(path_type=Path), help="TSV/CSV (.gz ok) with a header: one row per sequence (e.g. DeepBind's *.seq.gz).")
@click.option("--id-column", default="id", show_default=True, help="--table column holding record ids.")
@click.option("--seq-column", default="seq", show_default=True, help="--table column holding sequences.")
@click.option("--label-column", type=str, help="--table column of 0/1 labels: rows labelled 1 are positives, rows labelled 0 negatives.")
@click.option(
    "--negatives",
    type=str,
    help="'shuffle' (dinucleotide-shuffled positives), 'genome' (GC-matched genomic background; with --bed) or a FASTA of negatives.",
)
@click.option("--out-positives", required=True, type=click.Path(path_type=Path), help="FASTA to write the positives to (.gz: gzipped).")
@click.option("--out-negatives", required=True, type=click.Path(path_type=Path), help="FASTA to write the negatives to (.gz: gzipped).")
@click.option("--alphabet", type=click.Choice(["dna", "rna", "protein"]), default="dna", show_default=True, help="Alphabet the sequences are checked against.")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the shuffle or of the background sampling.")
def prepare(positives, bed, genome, tile, length, table, id_column, seq_column, label_column, negatives, out_positives,
            out_negatives, alphabet, seed):
    """Write training inputs as two FASTA files: positives and negatives.

    \b
    Examples:
      seqnet prepare --bed peaks.bed --genome hg38.fa --negatives genome --length 200 \\
                     --out-positives pos.fa --out-negatives neg.fa
      seqnet prepare --positives peaks.fa --negatives shuffle --out-positives pos.fa --out-negatives neg.fa
      seqnet prepare --table B.seq.gz --id-column EventID --label-column Bound \\
                     --out-positives test_pos.fa --out-negatives test_neg.fa

    Shuffled negatives are named <id>_shuf and are the ones `seqnet train --negatives
    shuffle` makes with the same --seed; training on the prepared files keeps each of
    them in its positive's split.
    """
    from seqnet.prepare import prepare as run_prepare

    result = run_prepare(
        out_positives, out_negatives, positives=positives, bed=bed, genome=genome, table=table, negatives=negatives,
        length=length, tile=tile, id_column=id_column, seq_column=seq_column, label_column=label_column,
        alphabet=alphabet, seed=seed,
    )
    click.echo(f"wrote {result.n_positives} positives to {out_positives} and {result.n_negatives} negatives "
               f"({result.negatives}) to {out_negatives}")


@main.command()
@click.option("--run", "runs", multiple=True, required=True, metavar="NAME=RUN_DIR",
              help="A sample's seqnet train run directory (repeat for each sample).")
@click.option("--metrics", "metrics", multiple=True, metavar="NAME=JSON",
              help="A sample's seqnet evaluate --out JSON (external test set); without it the run's metrics.json (held-out split) is used.")
@click.option("--motifs", "motif_dirs", multiple=True, metavar="NAME=DIR", help="A sample's seqnet motifs --out directory.")
@click.option("--out", "-o", required=True, type=click.Path(path_type=Path), help="Summary table (TSV) to write.")
@click.option("--html", "html_out", type=click.Path(path_type=Path), help="Also write an index page linking each sample's motif report.")
@click.option("--top", type=int, default=3, show_default=True, help="Motifs listed per sample, by influence.")
@click.option("--max-q", type=float, default=0.05, show_default=True, help="Name a motif after its best match when q is below this.")
@click.option("--title", type=str, default="seqnet summary", show_default=True, help="Title of the index page.")
def summarize(runs, metrics, motif_dirs, out, html_out, top, max_q, title):
    """One table over many runs: test AUROC / AUPRC and top motifs with their matches.

    \b
    Example:
      seqnet summarize --run ctcf=runs/ctcf --metrics ctcf=ctcf_test.json \\
                       --motifs ctcf=motifs/ctcf --out summary.tsv --html index.html
    """
    from seqnet.summary import parse_named, summarize as run_summarize

    table = run_summarize(
        parse_named(runs, "--run"), out, metrics=parse_named(metrics, "--metrics"),
        motifs=parse_named(motif_dirs, "--motifs"), html_out=html_out, top=top, max_q=max_q, title=title,
    )
    shown = table.drop(columns=["report"])
    click.echo(shown.to_string(index=False, na_rep="-", float_format=lambda v: f"{v:.4f}"))
    click.echo(f"wrote {out}" + (f" and {html_out}" if html_out is not None else ""), err=True)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
