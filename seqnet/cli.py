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
def main() -> None:
    """Deep learning on biological sequences: train, evaluate and predict."""


def _input_options(fn):
    """Options shared by ``train`` and ``evaluate`` to name labelled sequences."""
    opts = [
        click.option("--positives", type=click.Path(path_type=Path), help="FASTA (.gz ok) of positive (bound) sequences."),
        click.option(
            "--negatives",
            type=str,
            help="FASTA of negatives, or 'shuffle' (dinucleotide-shuffled positives), or 'genome' (GC-matched genomic background; with --bed).",
        ),
        click.option("--fasta", type=click.Path(path_type=Path), help="FASTA of all sequences (with --labels)."),
        click.option("--labels", type=click.Path(path_type=Path), help="TSV/CSV: record id, then one 0/1 column per task or one class column."),
        click.option("--bed", type=click.Path(path_type=Path), help="BED peaks (positives), with --genome."),
        click.option("--genome", type=click.Path(path_type=Path), help="Genome FASTA for --bed (indexed with pyfaidx; .fai built if missing)."),
        click.option("--tile", is_flag=True, help="Cut each BED interval into consecutive --length windows instead of centring one window on it."),
    ]
    for opt in reversed(opts):
        fn = opt(fn)
    return fn


def _load_inputs(
    *, positives, negatives, fasta, labels, bed, genome, tile, alphabet, length, max_length, seed, task_name
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
        return data_mod.load_fasta_labels(fasta, labels, alphabet=alphabet, length=length, max_length=max_length)
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


@main.command()
@_input_options
@click.option("--out", "-o", required=True, type=click.Path(path_type=Path), help="Run directory to create.")
@click.option("--model", "model_name", type=str, help="Architecture (default: deepbind, or the --config file's).")
@click.option("--config", "config_file", type=click.Path(path_type=Path), help="YAML recipe overriding the model's defaults.")
@click.option("--length", type=int, help="Input length: longer sequences are centre-cropped, shorter ones padded with N.")
@click.option("--alphabet", type=click.Choice(["dna", "rna", "protein"]), help="Sequence alphabet (default dna).")
@click.option("--task-name", type=str, help="Name of the single task of --positives/--bed input (default: from the file name).")
@click.option("--epochs", type=int, help="Maximum epochs.")
@click.option("--batch-size", type=int)
@click.option("--lr", type=float, help="Adam learning rate.")
@click.option("--weight-decay", type=float)
@click.option("--patience", type=int, help="Epochs without validation improvement before stopping.")
@click.option("--monitor", type=click.Choice(["auroc", "loss"]), help="Early-stopping criterion.")
@click.option("--rc-augment/--no-rc-augment", default=None, help="Reverse-complement augmentation (DNA/RNA).")
@click.option("--unknown", type=click.Choice(["zeros", "uniform"]), help="One-hot of N / ambiguity codes.")
@click.option("--valid-fraction", type=float)
@click.option("--test-fraction", type=float)
@click.option("--test-chroms", type=str, help="Comma-separated chromosomes held out for testing (needs coordinates).")
@click.option("--valid-chroms", type=str, help="Comma-separated chromosomes for validation.")
@click.option("--seed", type=int, help="Random seed (splits, shuffles, initialisation, batch order).")
@click.option("--device", type=str, help="auto, cpu or cuda[:N].")
@click.option("--overwrite", is_flag=True, help="Replace an existing run directory.")
@click.option("--quiet", "-q", is_flag=True, help="No console output but the final metrics.")
def train(positives, negatives, fasta, labels, bed, genome, tile, out, model_name, config_file, length, alphabet, task_name,
          epochs, batch_size, lr, weight_decay, patience, monitor, rc_augment, unknown, valid_fraction, test_fraction,
          test_chroms, valid_chroms, seed, device, overwrite, quiet):
    """Train a model and write a run directory.

    \b
    Examples:
      seqnet train --positives peaks.fa --negatives shuffle --out run1
      seqnet train --fasta seqs.fa --labels labels.tsv --model deepbind --out run2
      seqnet train --bed peaks.bed --genome hg38.fa --negatives genome --length 200 --out run3
    """
    from seqnet import config as config_mod
    from seqnet.alphabets import get_alphabet
    from seqnet.metrics import format_table
    from seqnet.train import train_run
    from seqnet.utils import check_out_dir

    overrides = {
        "train": {"epochs": epochs, "batch_size": batch_size, "lr": lr, "weight_decay": weight_decay,
                  "patience": patience, "monitor": monitor, "rc_augment": rc_augment},
        "data": {"alphabet": alphabet, "length": length, "unknown": unknown,
                 "valid_fraction": valid_fraction, "test_fraction": test_fraction},
        "seed": seed,
        "device": device,
    }
    cfg = config_mod.resolve(model_name, config_file, overrides)
    check_out_dir(out, overwrite)
    d = cfg["data"]
    data = _load_inputs(
        positives=positives, negatives=negatives, fasta=fasta, labels=labels, bed=bed, genome=genome, tile=tile,
        alphabet=get_alphabet(d["alphabet"]), length=d["length"], max_length=d["max_length"], seed=cfg["seed"],
        task_name=task_name,
    )
    inputs = {k: v for k, v in (("positives", positives), ("negatives", negatives), ("fasta", fasta),
                                ("labels", labels), ("bed", bed), ("genome", genome)) if v is not None}
    metrics = train_run(
        data, cfg, out, overwrite=overwrite, quiet=quiet,
        test_chroms=_split_list(test_chroms), valid_chroms=_split_list(valid_chroms), inputs=inputs,
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
def evaluate(run, positives, negatives, fasta, labels, bed, genome, tile, out, rc_average, batch_size, seed, device):
    """Score a trained model (RUN: run directory or model.pt) on labelled sequences."""
    from seqnet.checkpoint import load
    from seqnet.data import align_targets
    from seqnet.metrics import classification_metrics, format_table
    from seqnet.predict import predict_proba
    from seqnet.utils import resolve_device, write_json_atomic

    if batch_size < 1:
        raise ConfigError(f"--batch-size must be >= 1, got {batch_size}")
    dev = resolve_device(device)
    tm = load(run, map_location=dev)
    data = _load_inputs(
        positives=positives, negatives=negatives, fasta=fasta, labels=labels, bed=bed, genome=genome, tile=tile,
        alphabet=tm.alphabet, length=tm.length, max_length=tm.length, seed=seed,
        task_name=tm.names[0] if len(tm.names) == 1 else None,
    )
    y = align_targets(data, tm, source=str(labels or positives or bed), from_table=labels is not None)
    if rc_average and not tm.alphabet.has_complement:
        raise ConfigError(f"--rc-average: the {tm.alphabet.name} alphabet has no reverse complement")
    prob = predict_proba(
        tm.model, data.tokens, alphabet=tm.alphabet, task_type=tm.task_type,
        unknown=tm.preprocess.get("unknown", "zeros"), batch_size=batch_size, device=dev, rc_average=rc_average,
        lengths=data.lengths,
    )
    metrics = classification_metrics(y, prob, tm.task_type, tm.names, split="all")
    click.echo(format_table(metrics))
    if out is not None:
        write_json_atomic(out, metrics)


@main.command()
@click.argument("run", type=click.Path(path_type=Path))
@click.option("--fasta", required=True, type=click.Path(path_type=Path), help="FASTA (.gz ok) of sequences to score.")
@click.option("--out", "-o", required=True, type=click.Path(path_type=Path), help="Output TSV: id + one probability column per task/class.")
@click.option("--rc-average", is_flag=True, help="Average the predictions of both strands.")
@click.option("--batch-size", type=int, default=1024, show_default=True)
@click.option("--device", type=str, default="auto", show_default=True)
def predict(run, fasta, out, rc_average, batch_size, device):
    """Predict with a trained model (RUN: run directory or model.pt).

    Sequences of another length than the model's are centre-cropped or padded with N.
    """
    import pandas as pd

    from seqnet.checkpoint import load
    from seqnet.data import read_sequences
    from seqnet.predict import predict_proba
    from seqnet.utils import atomic_path, resolve_device

    if batch_size < 1:
        raise ConfigError(f"--batch-size must be >= 1, got {batch_size}")
    dev = resolve_device(device)
    tm = load(run, map_location=dev)
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
@click.option("--length", type=int, default=1000, show_default=True, help="Input length for parameter counts.")
@click.option("--alphabet", type=click.Choice(["dna", "rna", "protein"]), default="dna", show_default=True)
def models_cmd(length, alphabet):
    """List the registered architectures: parameters and receptive field."""
    from seqnet.alphabets import get_alphabet
    from seqnet.models import describe_models

    if length < 1:
        raise ConfigError(f"--length must be >= 1, got {length}")
    rows = describe_models(length=length, n_channels=get_alphabet(alphabet).size)
    width = max(len("model"), *(len(r["name"]) for r in rows))
    click.echo(f"{'model':<{width}}  {'parameters':>10}  {'receptive field':>15}  description")
    for r in rows:
        rf = "whole input" if r["receptive_field"] is None else f"{r['receptive_field']} bp"
        click.echo(f"{r['name']:<{width}}  {r['params']:>10,}  {rf:>15}  {r['description']}")
    click.echo(f"(parameters for {alphabet.upper() if alphabet != 'protein' else 'protein'} input of length {length}, one output, packaged recipe)")


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


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
