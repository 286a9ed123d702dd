"""The ``seqnet`` command line: thin click commands over the library.

Each command parses its options, calls one library function and prints.  User mistakes
raise :class:`seqnet.errors.SeqnetError`; the group turns them into one ``Error: ...``
line on stderr and exit status 1, without a traceback, spelling the parameters the
library names as this command line's flags.  Heavy imports (torch) happen inside the
commands so ``seqnet --help`` stays fast.  The group, the option types and the option
lists several commands share are in :mod:`seqnet.cli_support`.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from seqnet import __version__
from seqnet.cli_support import (_ARRAY_INPUTS, _PREDICT_INPUTS, _SEQUENCE_INPUTS, COUNT, POSITIVE, FloatRange,
                                SeqnetGroup, _OneLine, _options, _quiet_warnings, _recipe, _spec, _split_list)
from seqnet.cli_support import flag_of  # noqa: F401 (seqnet.cli.flag_of: the flag of a library parameter)
from seqnet.errors import ConfigError


@click.group(cls=SeqnetGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="seqnet")
@click.option(
    "--threads", type=POSITIVE, envvar="SEQNET_THREADS", show_envvar=True,
    help="CPU threads for torch (default: torch's, one per core). Use 1 when other jobs share the machine.",
)
def main(threads: int | None) -> None:
    """Deep learning on biological data: train, evaluate and predict."""
    if threads is not None:
        import torch

        # Intra-op threads that outnumber free cores hand work off to each other and crawl.
        torch.set_num_threads(threads)


# ----------------------------------------------------------------------------- train


class OneLineChoice(click.Choice):
    """click's Choice whose failure reads ``--flag must be one of A, B, got V`` (one line, exit 1)."""

    def convert(self, value, param, ctx):
        try:
            return super().convert(value, param, ctx)
        except click.BadParameter:
            raise _OneLine(f"{param.opts[0]} must be one of {', '.join(self.choices)}, got {value}") from None


# The knobs' choices (tests check them against seqnet.training.settings and seqnet.models.common,
# which this module does not import: they pull in torch).
OPTIMIZERS = ("adam", "adamw", "sgd", "rmsprop")
SCHEDULES = ("none", "plateau", "cosine", "onecycle", "step")
ACTIVATIONS = ("relu", "leaky_relu", "prelu", "elu", "selu", "gelu", "softplus", "tanh", "sigmoid", "softsign")

#: The train options that set optimiser / schedule / penalty knobs (``train`` keys of a recipe).
KNOB_OPTIONS = ("optimizer", "momentum", "nesterov", "schedule", "warmup_epochs", "lr_factor", "step_epochs",
                "plateau_patience", "min_lr", "clip_grad", "l1", "l1_scope")

#: The train options that set model arguments (``model_args`` keys, for models that have them).
MODEL_OPTIONS = ("activation", "batch_norm", "dropout")

_KNOBS = [
    _recipe("--optimizer", key="train.optimizer", type=OneLineChoice(OPTIMIZERS),
            help="Optimiser: adam, adamw (decoupled weight decay), sgd (with --momentum, --nesterov), rmsprop."),
    _recipe("--momentum", key="train.momentum", type=FloatRange(0, 1, max_open=True),
            help="SGD / RMSprop momentum; Adam's and AdamW's beta1."),
    click.option("--nesterov/--no-nesterov", default=None, help="Nesterov momentum (--optimizer sgd).  [default: no]"),
    _recipe("--schedule", key="train.schedule", type=OneLineChoice(SCHEDULES),
            help="Learning rate over the run: none, plateau (drop when validation stalls), cosine (with "
            "--warmup-epochs), onecycle, step (drop every --step-epochs)."),
    _recipe("--warmup-epochs", key="train.warmup_epochs", type=COUNT,
            help="cosine: epochs of linear warm-up; onecycle: epochs of the rising phase (0: 30 %)."),
    _recipe("--lr-factor", key="train.lr_factor", type=FloatRange(0, 1, min_open=True, max_open=True),
            help="step / plateau: the learning rate is multiplied by this at each drop."),
    _recipe("--step-epochs", key="train.step_epochs", type=POSITIVE, help="step: epochs between drops."),
    _recipe("--plateau-patience", key="train.plateau_patience", type=COUNT,
            help="plateau: epochs without validation improvement before a drop."),
    _recipe("--min-lr", key="train.min_lr", type=FloatRange(min=0), help="cosine / plateau: the lowest learning rate."),
    _recipe("--clip-grad", key="train.clip_grad", type=FloatRange(min=0),
            help="Rescale the gradient to this L2 norm at most (0: no clipping)."),
    _recipe("--l1", key="train.l1", type=FloatRange(min=0), help="L1 penalty: adds l1 * sum |w| to the loss (0: none)."),
    _recipe("--l1-scope", key="train.l1_scope", type=OneLineChoice(("all", "first")),
            help="Weights the L1 penalty reads: all (every weight matrix / kernel) or first (the first layer's)."),
    _recipe("--activation", key="model_args.activation", type=OneLineChoice(ACTIVATIONS),
            help="The model's activation function (selu brings LeCun-normal initialisation and alpha-dropout)."),
    _recipe("--batch-norm/--no-batch-norm", key="model_args.batch_norm", default=None,
            help="Batch norm after the convolutions (deepbind, deepsea, basset, dilated, cnn_lstm, danq; "
            "time-series cnn, mlp, lenet)."),
    _recipe("--dropout", key="model_args.dropout", type=FloatRange(0, 1, max_open=True),
            help="The model's dropout rate (every dropout layer that has this argument)."),
]

#: The options that make a recipe and read the data (shared by train and tune).
_RECIPE_OPTIONS = [
    click.option("--model", "model_name", type=str, help="Architecture (default: deepbind, or the --config file's)."),
    click.option("--config", "config_file", type=click.Path(path_type=Path),
                 help="YAML recipe overriding the model's defaults."),
    click.option("--length", type=int, help="Input length: longer sequences are centre-cropped, shorter ones padded "
                 "with N (default: the longest record, capped by the recipe's max_length)."),
    _recipe("--alphabet", key="data.alphabet", type=click.Choice(["dna", "rna", "protein"]), help="Sequence alphabet."),
    click.option("--task-name", type=str,
                 help="Name of the single task of --positives/--bed input (default: bound)."),
    click.option("--task", type=click.Choice(["auto", "classification", "regression"]), default="auto",
                 show_default=True, help="How to read --labels: auto = regression when the labels are numbers with fractions."),
    click.option("--series", type=str, help="--timeseries: comma-separated series to use, in channel order "
                 "(default: every series with >= 3 time points)."),
    click.option("--time-points", type=int, help="--timeseries: grid points per series "
                 "(default: the longest series' number of time points)."),
    click.option("--standardize", type=str, help="gene|series|none (time series), feature|none (tables), channel|none (images)."),
    click.option("--missing-labels", type=click.Choice(["error", "mask"]),
                 help="Missing cells (empty, NA, n/d, ...) of a --labels table: an error naming line and column "
                 "(default), or, for several 0/1 columns, 'mask': left out of the loss and the metrics."),
    click.option("--image-shape", type=str, help="--images: HxW or CxHxW, e.g. 28x28 (default: inferred from square images)."),
    _recipe("--epochs", key="train.epochs", type=int, help="Maximum epochs."),
    _recipe("--batch-size", key="train.batch_size", type=int, help="Records per optimiser step."),
    _recipe("--lr", key="train.lr", type=float, help="Learning rate (the peak of cosine and onecycle)."),
    _recipe("--weight-decay", key="train.weight_decay", type=float,
            help="L2 penalty (decoupled weight decay with adamw)."),
    _recipe("--patience", key="train.patience", type=int, help="Epochs without validation improvement before stopping."),
    _recipe("--monitor", key="train.monitor", type=click.Choice(["auroc", "loss", "accuracy"]),
            help="Early-stopping criterion (accuracy: multi-class only)."),
    _recipe("--rc-augment/--no-rc-augment", key="train.rc_augment", default=None,
            help="Reverse-complement augmentation (DNA/RNA)."),
    click.option("--reshuffle/--no-reshuffle", default=None,
                 help="With --negatives shuffle: draw the training negatives afresh every epoch, on the training device."),
    *_KNOBS,
    _recipe("--unknown", key="data.unknown", type=click.Choice(["zeros", "uniform"]), help="One-hot of N / ambiguity codes."),
    _recipe("--valid-fraction", key="data.valid_fraction", type=float, help="Share of records for validation."),
    _recipe("--test-fraction", key="data.test_fraction", type=float, help="Share of records held out for testing."),
    click.option("--test-chroms", type=str, help="Comma-separated chromosomes held out for testing (needs coordinates)."),
    click.option("--valid-chroms", type=str, help="Comma-separated chromosomes for validation."),
    _recipe("--seed", key="seed", type=int, help="Random seed (splits, shuffles, initialisation, batch order)."),
    _recipe("--device", key="device", type=str, help="auto, cpu or cuda[:N]."),
]

_BASELINES = click.option(
    "--baselines", type=click.Choice(["none", "fast", "all"]), default="fast", show_default=True,
    help="Baselines fitted on the same split and scored beside the model: fast = GC content and a k-mer "
    "spectrum (sequences), logistic regression and kNN (arrays); all adds gapped k-mers / a random forest.")

_TRAIN_OPTIONS = [
    click.option("--out", "-o", type=click.Path(path_type=Path), help="Run directory to create."),
    click.option("--resume", type=click.Path(path_type=Path),
                 help="Continue the interrupted run aimed at this --out, with its original options."),
    *_RECIPE_OPTIONS,
    click.option("--compile", "compile_", is_flag=True, help="Train through torch.compile (for long GPU runs)."),
    _BASELINES,
    click.option("--overwrite", is_flag=True, help="Replace an existing run directory."),
    click.option("--quiet", "-q", is_flag=True, help="No console output but the final metrics."),
]


@main.command()
@_options(_SEQUENCE_INPUTS + _ARRAY_INPUTS + _TRAIN_OPTIONS)
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
    from seqnet.metrics import format_table
    from seqnet.training import load_resume_state, train as run_training

    state = None
    if resume is not None:
        state = load_resume_state(resume)
        given = {k: params[k] for k in ("quiet", "device") if params[k]}
        params = {**state.extra["params"], **given}
    elif params["out"] is None:
        raise ConfigError("--out is required (or --resume RUN to continue an interrupted run)")
    if params["quiet"]:
        _quiet_warnings()
    metrics = run_training(
        _spec(params), params["out"], model=params["model_name"], config_file=params["config_file"],
        overrides=_overrides(params), task=params["task"], task_name=params["task_name"],
        test_chroms=_split_list(params["test_chroms"]), valid_chroms=_split_list(params["valid_chroms"]),
        overwrite=params["overwrite"], quiet=params["quiet"], run_params=params, resume=state,
        compile=params.get("compile_", False), baselines=params.get("baselines", "fast"),
    )
    click.echo(format_table(metrics))
    click.echo(f"run directory: {params['out']}")


def _overrides(p: dict) -> dict:
    """The config values the train options set (None: not given, the recipe's stands)."""
    model_args = {k: p[k] for k in MODEL_OPTIONS if p.get(k) is not None}
    return {
        "train": {k: p.get(k) for k in ("epochs", "batch_size", "lr", "weight_decay", "patience", "monitor",
                                        "rc_augment", "reshuffle", *KNOB_OPTIONS)},
        # only when given: a recipe whose model_args is not a mapping keeps its own error
        **({"model_args": model_args} if model_args else {}),
        "data": {"alphabet": p["alphabet"], "length": p["length"], "unknown": p["unknown"],
                 "missing_labels": p.get("missing_labels"),
                 "valid_fraction": p["valid_fraction"], "test_fraction": p["test_fraction"],
                 "standardize": p["standardize"], "series": _split_list(p["series"]), "time_points": p["time_points"],
                 "image_shape": p["image_shape"]},
        "seed": p["seed"],
        "device": p["device"],
    }


# ----------------------------------------------------------------------------- tune

_TUNE_OPTIONS = [
    click.option("--out", "-o", required=True, type=click.Path(path_type=Path),
                 help="Output folder (study.db, trials.tsv, best.yaml, history.png, importances.png, summary.json); "
                 "an earlier search's folder is continued."),
    click.option("--space", required=True, type=click.Path(path_type=Path),
                 help="Search space YAML: ranges {low, high, log, step} and choices [a, b] over recipe keys "
                 "(train, model_args, model)."),
    click.option("--trials", type=POSITIVE, required=True, help="Trials to run in this call (added to the study)."),
    click.option("--storage", type=str, help="Study database URL (SQLAlchemy: sqlite:///path.db, postgresql://...), "
                 "shared by every process that works on the study (default: sqlite:///OUT/study.db)."),
    click.option("--study-name", type=str, default="seqnet", show_default=True, help="The study's name in --storage."),
    click.option("--pruner", type=OneLineChoice(("median", "hyperband", "none")), default="median", show_default=True,
                 help="Stop unpromising trials early on the per-epoch validation metric."),
    click.option("--startup-trials", type=COUNT, default=10, show_default=True,
                 help="Random trials before the TPE sampler models the results."),
    click.option("--timeout", type=FloatRange(min=0, min_open=True), help="Start no trial after this many seconds."),
    click.option("--train-best", is_flag=True, help="Then train the best recipe into OUT/best (test metrics, report)."),
    _BASELINES,
    click.option("--overwrite", is_flag=True, help="Start afresh in an existing folder that holds something else."),
    click.option("--quiet", "-q", is_flag=True, help="No progress lines (the summary is still printed)."),
]


@main.command()
@_options(_SEQUENCE_INPUTS + _ARRAY_INPUTS + _RECIPE_OPTIONS + _TUNE_OPTIONS)
def tune(**params):
    """Search hyperparameters with Optuna (TPE sampler, pruning) on the data and splits of train.

    Each trial trains the recipe (the model's, then --config, the options, then the
    trial's values from --space) on the training split and is scored on the
    validation split after every epoch; the test split is never seen.  The study
    lives in a database: rerun the same command to add trials (a killed search goes
    on where it stopped), or start several processes with one --storage URL and
    --study-name to share the work.

    \b
    Examples:
      seqnet tune --positives peaks.fa --negatives shuffle --space space.yaml --trials 30 --out tune1
      seqnet tune --positives peaks.fa --negatives shuffle --space space.yaml --trials 10 \\
                  --storage sqlite:///shared/study.db --study-name ctcf --out tune_worker2
      seqnet train --positives peaks.fa --negatives shuffle --config tune1/best.yaml --out best_run
    """
    from seqnet.metrics import format_table
    from seqnet.tune import tune as run_tune

    if params["quiet"]:
        _quiet_warnings()
    result = run_tune(
        _spec(params), params["out"], space=params["space"], trials=params["trials"], storage=params["storage"],
        study_name=params["study_name"], model=params["model_name"], config_file=params["config_file"],
        overrides=_overrides(params), task=params["task"], task_name=params["task_name"],
        test_chroms=_split_list(params["test_chroms"]), valid_chroms=_split_list(params["valid_chroms"]),
        pruner=params["pruner"], startup_trials=params["startup_trials"], timeout=params["timeout"],
        train_best=params["train_best"], baselines=params["baselines"], overwrite=params["overwrite"],
        quiet=params["quiet"], progress=None if params["quiet"] else click.echo,
    )
    counts = ", ".join(f"{n} {state}" for state, n in result.counts.items())
    click.echo(f"study {result.study_name!r} in {result.storage}: {counts}")
    if result.best is None:
        click.echo("no trial finished yet: nothing to recommend")
    else:
        click.echo(f"best: trial {result.best['number']}, {result.metric} {result.best['value']:.4f}; "
                   f"recipe: {params['out'] / 'best.yaml'}")
    if result.trained is not None:
        click.echo(format_table(result.trained))
        click.echo(f"run directory: {params['out'] / 'best'}")


# ----------------------------------------------------------------------------- evaluate / predict


@main.command()
@click.argument("run", type=click.Path(path_type=Path))
@_options(_SEQUENCE_INPUTS + _ARRAY_INPUTS)
@click.option("--out", "-o", type=click.Path(path_type=Path), help="Write the metrics as JSON here.")
@click.option("--predictions", type=click.Path(path_type=Path), help="Write each record's labels and predictions here (TSV).")
@click.option("--out-dir", type=click.Path(path_type=Path),
              help="Write a folder with metrics.json, predictions.tsv and the figures (ROC / PR curves, confusion matrix).")
@click.option("--rc-average", is_flag=True, help="Average the predictions of both strands.")
@click.option("--batch-size", type=POSITIVE, default=1024, show_default=True)
@click.option("--seed", type=int, default=0, show_default=True, help="Seed for --negatives shuffle.")
@click.option("--device", type=str, default="auto", show_default=True)
@click.option("--missing-labels", type=click.Choice(["error", "mask"]), default="error", show_default=True,
              help="Missing cells of a multi-label --labels table: an error, or left out of the metrics.")
@click.option("--crop", type=click.Choice(["centre", "center"]),
              help="Score the centre of sequences longer than the model's input (default: they are an error).")
def evaluate(run, out, predictions, out_dir, rc_average, batch_size, seed, device, missing_labels, crop, **inputs):
    """Score a trained model (RUN: run directory or model.pt) on labelled inputs of its kind.

    \b
    Examples:
      seqnet evaluate runs/ctcf --positives test_pos.fa --negatives test_neg.fa --out test.json
      seqnet evaluate runs/yeast --timeseries expr.tsv --conditions conditions.tsv --labels phases.tsv
      seqnet evaluate runs/mnist --images test.csv.gz
    """
    from seqnet.metrics import format_table
    from seqnet.predict import evaluate as run_evaluation

    metrics = run_evaluation(run, _spec(inputs), out=out, predictions=predictions, out_dir=out_dir,
                             rc_average=rc_average, batch_size=batch_size, seed=seed, device=device,
                             missing_labels=missing_labels, crop=crop)
    click.echo(format_table(metrics))


@main.command()
@click.argument("run", type=click.Path(path_type=Path))
@_options(_PREDICT_INPUTS)
@click.option("--bed", type=click.Path(path_type=Path),
              help="BED regions to score, with --genome: one window of the model's length centred on each.")
@click.option("--genome", type=click.Path(path_type=Path), help="Genome FASTA for --bed (indexed with pyfaidx).")
@click.option("--tile", is_flag=True, help="Cut each BED interval into consecutive windows of the model's length.")
@click.option("--crop", type=click.Choice(["centre", "center"]),
              help="Score the centre of sequences longer than the model's input (default: they are an error; "
              "scan long sequences with seqnet scan).")
@click.option("--out", "-o", required=True, type=click.Path(path_type=Path),
              help="Output TSV: id + one column per task / class (probabilities) or regression target (values).")
@click.option("--rc-average", is_flag=True, help="Average the predictions of both strands.")
@click.option("--batch-size", type=POSITIVE, default=1024, show_default=True)
@click.option("--device", type=str, default="auto", show_default=True)
def predict(run, out, rc_average, batch_size, device, crop, **inputs):
    """Predict with a trained model (RUN: run directory or model.pt) on inputs of its kind.

    Sequences shorter than the model's input are padded with N; a longer one is an
    error naming it (use seqnet scan for long sequences, or --crop centre).  BED
    intervals get a window of the model's length centred on them.  Time series are put
    on the model's time grid, tables and images standardised with the training
    statistics.

    \b
    Examples:
      seqnet predict runs/ctcf --fasta new.fa --out predictions.tsv
      seqnet predict runs/ctcf --bed peaks.bed --genome hg38.fa --out peaks.tsv
      seqnet predict runs/yeast --timeseries expr.tsv --conditions conditions.tsv --out phases.tsv
      seqnet predict runs/mnist --images new_digits.csv --out digits.tsv
    """
    from seqnet.predict import write_predictions

    table = write_predictions(run, _spec(inputs), out, rc_average=rc_average, batch_size=batch_size, device=device,
                              crop=crop)
    click.echo(f"wrote {len(table)} predictions to {out}", err=True)


# ----------------------------------------------------------------------------- genome: scan, variants


@main.command()
@click.argument("run", type=click.Path(path_type=Path))
@click.option("--genome", required=True, type=click.Path(path_type=Path),
              help="Genome FASTA (plain or bgzip; indexed with pyfaidx), or any FASTA of long sequences.")
@click.option("--out", "-o", required=True, type=click.Path(path_type=Path), help="Output directory.")
@click.option("--bed", type=click.Path(path_type=Path), help="Regions to scan (BED; overlapping ones merged).")
@click.option("--chroms", type=str, help="Comma-separated chromosomes to scan (default: the whole genome).")
@click.option("--stride", type=POSITIVE, default=50, show_default=True, help="Bases between window starts.")
@click.option("--strand", type=click.Choice(["both", "plus"]), default="both", show_default=True,
              help="both: average each window with its reverse complement.")
@click.option("--peaks", type=float, help="Also write <task>.peaks.bed: windows scoring >= this, merged.")
@click.option("--batch-size", type=POSITIVE, default=1024, show_default=True)
@click.option("--device", type=str, default="auto", show_default=True)
@click.option("--overwrite", is_flag=True, help="Replace an existing output directory.")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
def scan(run, genome, out, chroms, **options):
    """Slide a trained DNA model along a genome: one track per task.

    Windows of the model's input length start every --stride bases; each window's
    prediction covers the --stride bases at its centre.  Windows holding only N are
    skipped and counted.

    \b
    Writes to OUT: <task>.bedGraph and <task>.bw (BigWig) per task, windows.tsv.gz,
    summary.json, and <task>.peaks.bed with --peaks.

    \b
    Examples:
      seqnet scan runs/ctcf --genome hg38.fa --chroms chr21 --out scan/chr21
      seqnet scan runs/ctcf --genome hg38.fa --bed regions.bed --stride 20 --peaks 0.9 --out scan/regions
    """
    from seqnet.apply.scan import scan as run_scan

    summary = run_scan(run, genome, out, chroms=_split_list(chroms), **options)
    click.echo(f"{summary['scored']:,} of {summary['windows']:,} windows scored ({summary['skipped_n_only']:,} holding "
               f"only N skipped) in {summary['seconds']:.1f} s ({summary['windows_per_second'] or 0:,.0f} windows/s, "
               f"{'shared convolution' if summary['shared_trunk'] else 'per-window passes'})")
    for task, n in summary["peaks"].items():
        click.echo(f"  {task}: {n} peaks")
    click.echo(f"tracks: {out}")


@main.command()
@click.argument("run", type=click.Path(path_type=Path))
@click.option("--vcf", required=True, type=click.Path(path_type=Path), help="Variants (VCF, plain or bgzip).")
@click.option("--genome", required=True, type=click.Path(path_type=Path), help="Genome FASTA the VCF refers to.")
@click.option("--out", "-o", required=True, type=click.Path(path_type=Path), help="Output directory.")
@click.option("--strand", type=click.Choice(["both", "plus"]), default="both", show_default=True,
              help="both: average each window with its reverse complement.")
@click.option("--allow-mismatch", is_flag=True, help="Also score alleles whose REF disagrees with the genome.")
@click.option("--null", type=COUNT, default=1000, show_default=True,
              help="Random SNVs behind each diff's z-score and p-value (0: none).")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the random SNVs.")
@click.option("--ism", type=COUNT, default=0, show_default=True,
              help="Write in-silico mutagenesis maps of this many top variants' windows (ism/).")
@click.option("--top", type=COUNT, default=10, show_default=True, help="Top variants per task in the summary.")
@click.option("--batch-size", type=POSITIVE, default=1024, show_default=True)
@click.option("--device", type=str, default="auto", show_default=True)
@click.option("--overwrite", is_flag=True, help="Replace an existing output directory.")
def variants(run, vcf, genome, out, **options):
    """Predicted effect of every VCF allele: reference vs alternative window.

    Each window is centred on the variant (REF's first base at offset L//2); indels
    keep the window length by trimming or extending the right flank.  REF is checked
    against the genome (match, mismatch, N, edge, skipped).

    \b
    Writes to OUT: variants.tsv, variants.vcf (INFO fields added), summary.json, ism/.

    \b
    Examples:
      seqnet variants runs/ctcf --vcf calls.vcf.gz --genome hg38.fa --out effects
      seqnet variants runs/ctcf --vcf calls.vcf --genome hg38.fa --ism 10 --out effects
    """
    from seqnet.apply.variants import variant_effects

    summary = variant_effects(run, vcf, genome, out, **options)
    status = ", ".join(f"{k} {v}" for k, v in summary["ref_status"].items())
    click.echo(f"{summary['alleles']} alleles in {summary['records']} records; scored {summary['scored']} ({status})")
    for reason, info in summary["skipped"].items():
        click.echo(f"  skipped, {reason}: {info['count']} (first on line {info['first_line']})")
    for task, rows in summary["top"].items():
        click.echo(f"top {len(rows)} by |diff| for {task}:")
        for r in rows:
            z = "-" if r["z"] is None else f"{r['z']:.2f}"
            click.echo(f"  {r['id']:<28} {r['chrom']}:{r['pos']} {r['ref'][:10]}>{r['alt'][:10]}  "
                       f"diff {r['diff']:+.4f}  z {z}")
    click.echo(f"results: {out}")


# ----------------------------------------------------------------------------- interpretation


@main.command()
@click.argument("run", type=click.Path(path_type=Path))
@click.option("--fasta", required=True, type=click.Path(path_type=Path),
              help="Sequences to scan: the positives (with --negatives), or every record (with --labels).")
@click.option("--out", "-o", required=True, type=click.Path(path_type=Path), help="Output directory.")
@click.option("--negatives", type=str, help="Negatives FASTA or 'shuffle': motifs of both classes, counted per class, "
              "with their direction.")
@click.option("--labels", type=click.Path(path_type=Path), help="Label table for --fasta: motifs counted per task, "
              "with their direction.")
@click.option("--method", type=click.Choice(["filters", "modisco", "both"]), default="both", show_default=True,
              help="filters: first-layer filters; modisco: DeepLIFT/SHAP then TF-MoDISco (modisco-lite).")
@click.option("--site-fpr", type=FloatRange(0, 1, min_open=True, max_open=True), default=0.01, show_default=True,
              help="A filter site must beat the filter's best response on all but this fraction of "
              "dinucleotide-shuffled sequences.")
@click.option("--threshold", type=FloatRange(0, 1, max_open=True),
              help="Basset's rule instead of --site-fpr: between each filter's mean (0) and max (1) activation.")
@click.option("--trim-bits", type=FloatRange(min=0), default=0.2, show_default=True,
              help="Trim flanking columns below this information content.")
@click.option("--min-sites", type=POSITIVE, default=10, show_default=True, help="Skip filters with fewer sites.")
@click.option("--cluster-q", type=FloatRange(0, 1, min_open=True), default=0.01, show_default=True,
              help="TOMTOM q-value at which filter motifs are clustered (average linkage).")
@click.option("--max-motifs", type=POSITIVE, default=15, show_default=True, help="Motifs in the main set at most.")
@click.option("--min-influence", type=FloatRange(0, 1, max_open=True), default=0.05, show_default=True,
              help="Leave filter motifs below this fraction of the largest influence out of the main set.")
@click.option("--db", type=click.Path(path_type=Path), help="MEME motif file to match against (default: JASPAR CORE from pyjaspar).")
@click.option("--jaspar-release", type=str, help="JASPAR release, e.g. JASPAR2024 (default: the newest shipped).")
@click.option("--taxon", type=str, default="vertebrates", show_default=True, help="JASPAR taxon ('all' for every taxon).")
@click.option("--influence-sequences", type=COUNT, default=2000, show_default=True,
              help="Measure influence on at most this many records (0 = all).")
@click.option("--attribution-sequences", type=COUNT, default=1000, show_default=True,
              help="DeepLIFT/SHAP (and TF-MoDISco) on at most this many records over all outputs (0 = all).")
@click.option("--shuffles", type=POSITIVE, default=10, show_default=True,
              help="Dinucleotide-shuffled references per sequence for DeepLIFT/SHAP.")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the shuffles and subsets.")
@click.option("--batch-size", type=POSITIVE, default=256, show_default=True)
@click.option("--device", type=str, default="auto", show_default=True)
@click.option("--quiet", "-q", is_flag=True, help="No progress lines.")
@click.option("--crop", type=click.Choice(["centre", "center"]),
              help="Use the centre of sequences longer than the model's input (default: they are an error).")
@click.option("--overwrite", is_flag=True, help="Replace an existing output directory.")
def motifs(run, fasta, out, taxon, **options):
    """The motifs a model learned: from its filters and from its attributions, named against JASPAR.

    \b
    Writes to OUT: motifs.meme, motifs.jaspar, motifs.transfac, motifs.homer (the main
    set: one motif per thing learned), matches.tsv (the main set, ranked, with direction,
    influence, sites per class and JASPAR match), other_motifs.tsv (left out, and why),
    all_matches.tsv, filters.tsv, modisco/ (TF-MoDISco patterns in the same formats,
    seqlets), logos/ and report.html.

    \b
    Examples:
      seqnet motifs runs/oct4 --fasta oct4.fa --negatives mafk.fa --out motifs/oct4
      seqnet motifs runs/ctcf --fasta ctcf_peaks.fa --negatives shuffle --method filters --out motifs/ctcf
      seqnet motifs runs/multi --fasta seqs.fa --labels labels.tsv --db my_motifs.meme --out motifs/multi
    """
    from seqnet.motifs.pipeline import motif_report

    table = motif_report(run, fasta, out, taxon=None if taxon == "all" else taxon, **options)
    click.echo(f"{len(table)} motifs in the main set, ranked:")
    for r in table.itertuples():
        match = "-" if r.q != r.q or r.q >= 0.05 else f"{r.best_match_id} {r.best_match_name} (q={r.q:.2g})"
        size = "" if r.influence != r.influence else f" {r.influence:+.3f}"
        click.echo(f"  {r.motif:<9} {r.method:<8} {r.consensus:<24} {r.direction}{size}  {match}")
    click.echo(f"report: {Path(out) / 'report.html'}")


@main.command()
@click.argument("run", type=click.Path(path_type=Path))
@click.option("--fasta", required=True, type=click.Path(path_type=Path), help="Sequences to explain.")
@click.option("--out", "-o", required=True, type=click.Path(path_type=Path), help="Output directory.")
@click.option("--target", type=str, help="Output (task or class) to explain (default: the first).")
@click.option("--methods", type=str, default="saliency,ism,deepliftshap", show_default=True,
              help="saliency (gradient x input), ism (in-silico mutagenesis) and/or deepliftshap "
              "(DeepLIFT/SHAP against dinucleotide-shuffled references).")
@click.option("--shuffles", type=POSITIVE, default=10, show_default=True,
              help="References per sequence for deepliftshap.")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the deepliftshap shuffles.")
@click.option("--top", type=COUNT, default=10, show_default=True,
              help="Plot the sequences with the highest predicted probability.")
@click.option("--batch-size", type=POSITIVE, default=64, show_default=True)
@click.option("--device", type=str, default="auto", show_default=True)
@click.option("--crop", type=click.Choice(["centre", "center"]),
              help="Use the centre of sequences longer than the model's input (default: they are an error).")
@click.option("--overwrite", is_flag=True, help="Replace an existing output directory.")
def attribute(run, fasta, out, methods, **options):
    """Per-base attribution maps: gradient x input, in-silico mutagenesis and DeepLIFT/SHAP.

    \b
    Writes to OUT: attributions.npz, attributions.tsv, predictions.tsv (with each
    sequence's DeepLIFT/SHAP convergence delta) and plots/.

    \b
    Examples:
      seqnet attribute runs/ctcf --fasta top_peaks.fa --out attr/ctcf
      seqnet attribute runs/multi --fasta seqs.fa --target REST --methods deepliftshap --top 5 --out attr/rest
    """
    from seqnet.motifs.pipeline import attribution_maps

    table = attribution_maps(run, fasta, out, methods=_split_list(methods) or [], **options)
    click.echo(f"attributions for {len(table)} sequences, {int(table.plotted.sum())} plotted: {out}")
    if "deeplift_delta" in table.columns and len(table):
        click.echo(f"DeepLIFT/SHAP: worst convergence delta {table.deeplift_delta.max():.2g} "
                   "(sum of a map minus its prediction difference)")


# ----------------------------------------------------------------------------- models, data


@main.command("models")
@click.option("--kind", type=click.Choice(["all", "sequence", "timeseries", "table", "image"]), default="all",
              show_default=True, help="Input kind whose models to list.")
@click.option("--length", type=POSITIVE, default=1000, show_default=True,
              help="Input length for parameter counts (sequence models).")
@click.option("--alphabet", type=click.Choice(["dna", "rna", "protein"]), default="dna", show_default=True)
def models_cmd(kind, length, alphabet):
    """List the registered architectures per input kind: parameters and receptive field.

    Each input kind has its own model names: `--model lstm` is the sequence LSTM with
    --fasta, the time-series LSTM with --timeseries.

    \b
    Examples:
      seqnet models
      seqnet models --kind sequence --length 200 --alphabet protein
    """
    from seqnet.models import model_table

    click.echo(model_table(kind=None if kind == "all" else kind, length=length, alphabet=alphabet))


@main.command()
@click.option("--out", "-o", required=True, type=click.Path(path_type=Path), help="Directory to write the data set into.")
@click.option("--n", "n", type=POSITIVE, default=2000, show_default=True, help="Sequences per class (and in the multi-label set).")
@click.option("--length", type=POSITIVE, default=200, show_default=True)
@click.option("--motifs", type=str, help="Comma-separated JASPAR ids or TF names to plant (default: a fixed set of 6+).")
@click.option("--gc", type=float, default=0.42, show_default=True, help="GC fraction of the background.")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--gzip", "gzip_", is_flag=True, help="Write .fa.gz files.")
def simulate(out, n, length, motifs, gc, seed, gzip_):
    """Make a planted-motif data set (JASPAR motifs sampled into random background).

    \b
    Examples:
      seqnet simulate --out sim --n 2000 --length 200
      seqnet simulate --out sim_ctcf --motifs CTCF,MA0080 --gc 0.5 --gzip
    """
    from seqnet.simulate import simulate as run_simulation

    result = run_simulation(out, n=n, length=length, motifs=_split_list(motifs), gc=gc, seed=seed, gzip=gzip_)
    click.echo(f"wrote {out}: {len(result.motifs)} motifs ({', '.join(m.alt_name or m.name for m in result.motifs)})")


@main.command()
@click.option("--positives", type=click.Path(path_type=Path), help="FASTA (.gz ok) of positive sequences.")
@click.option("--bed", type=click.Path(path_type=Path), help="BED peaks (positives), with --genome.")
@click.option("--genome", type=click.Path(path_type=Path), help="Genome FASTA for --bed (indexed with pyfaidx; .fai built if missing).")
@click.option("--tile", is_flag=True, help="Cut each BED interval into consecutive --length windows instead of centring one window on it.")
@click.option("--length", type=POSITIVE, help="Window length for --bed.  [default: 200]")
@click.option("--table", type=click.Path(path_type=Path), help="TSV/CSV (.gz ok) with a header: one row per sequence (e.g. DeepBind's *.seq.gz).")
@click.option("--id-column", default="id", show_default=True, help="--table column holding record ids.")
@click.option("--seq-column", default="seq", show_default=True, help="--table column holding sequences.")
@click.option("--label-column", type=str, help="--table column of 0/1 labels: rows labelled 1 are positives, rows labelled 0 negatives.")
@click.option("--negatives", type=str, help="'shuffle' (dinucleotide-shuffled positives), 'genome' (GC-matched genomic "
              "background; with --bed) or a FASTA of negatives.")
@click.option("--out-positives", required=True, type=click.Path(path_type=Path), help="FASTA to write the positives to (.gz: gzipped).")
@click.option("--out-negatives", required=True, type=click.Path(path_type=Path), help="FASTA to write the negatives to (.gz: gzipped).")
@click.option("--alphabet", type=click.Choice(["dna", "rna", "protein"]), default="dna", show_default=True, help="Alphabet the sequences are checked against.")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the shuffle or of the background sampling.")
def prepare(out_positives, out_negatives, **options):
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

    result = run_prepare(out_positives, out_negatives, **options)
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
