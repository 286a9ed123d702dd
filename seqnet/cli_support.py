"""What the ``seqnet`` commands share: the click group that turns a
:class:`seqnet.errors.SeqnetError` into one ``Error: ...`` line, the spelling of library
parameters as flags, option types whose failures read as one line, options whose default
comes from the model's recipe, and the input option lists of train, tune, evaluate and
predict.

Nothing here imports torch: ``seqnet --help`` stays fast.
"""

from __future__ import annotations

import contextlib
import logging
import shlex
import sys
from pathlib import Path

import click

from seqnet.errors import SeqnetError, cli_flag, spelled_as_flags

#: Library parameters whose flag is not simply ``--`` + the name with hyphens.
FLAGS = {"model_name": "--model", "config_file": "--config", "compile_": "--compile", "gzip_": "--gzip",
         "runs": "--run"}


def flag_of(name: str) -> str:
    """The flag of library parameter ``name`` on this command line."""
    return FLAGS.get(name, cli_flag(name))


class SeqnetGroup(click.Group):
    """A click group that reports :class:`SeqnetError` as one line and exits 1, and shows
    the library's ``warning:`` lines on stderr."""

    def make_context(self, info_name, args, parent=None, **extra):
        from seqnet.provenance import COMMAND

        COMMAND.set(" ".join(["seqnet", *(shlex.quote(str(a)) for a in args)]))  # for train.log
        return super().make_context(info_name, args, parent=parent, **extra)

    def invoke(self, ctx: click.Context):
        with spelled_as_flags(flag_of), _warnings_on_stderr():
            try:
                return super().invoke(ctx)
            except SeqnetError as exc:
                click.echo(f"Error: {exc}", err=True)
                ctx.exit(getattr(exc, "exit_code", 1))
            except OSError as exc:
                # Unwritable output directory, disk full, ...: the user's environment, not a bug.
                where = f"{exc.filename}: " if getattr(exc, "filename", None) else ""
                click.echo(f"Error: {where}{exc.strerror or exc}", err=True)
                ctx.exit(1)


@contextlib.contextmanager
def _warnings_on_stderr():
    """Show WARNING records of the ``seqnet`` logger on stderr while a command runs."""
    from seqnet.errors import render

    class Rendered(logging.Formatter):
        def format(self, record: logging.LogRecord) -> str:
            return render(super().format(record))

    handler = logging.StreamHandler(sys.stderr)
    handler.setLevel(logging.WARNING)
    handler.setFormatter(Rendered("%(message)s"))
    handler.seqnet_cli = True  # a run's own console log leaves warnings to this handler
    log = logging.getLogger("seqnet")
    log.addHandler(handler)
    try:
        yield handler
    finally:
        log.removeHandler(handler)


def _quiet_warnings() -> None:
    """``--quiet``: no warnings on the console either (a run keeps them in train.log)."""
    for handler in logging.getLogger("seqnet").handlers:
        if getattr(handler, "seqnet_cli", False):
            handler.setLevel(logging.CRITICAL + 1)


class _OneLine(click.ClickException):
    """A bad option value, reported as one ``Error:`` line (no usage block) with exit 1."""


def _ranged(base: type[click.ParamType]) -> type[click.ParamType]:
    """``base`` (click's IntRange / FloatRange) whose failures read ``--flag must be RANGE, got V``."""

    class Ranged(base):
        def convert(self, value, param, ctx):
            try:
                return super().convert(value, param, ctx)
            except click.BadParameter:
                lo, hi = self.min, self.max
                if hi is None:
                    want = f"{'>' if self.min_open else '>='} {lo}"
                else:
                    want = f"in {'(' if self.min_open else '['}{lo}, {hi}{')' if self.max_open else ']'}"
                raise _OneLine(f"{param.opts[0]} must be {want}, got {value}") from None

    Ranged.__name__ = f"Ranged{base.__name__}"
    return Ranged


IntRange = _ranged(click.IntRange)
FloatRange = _ranged(click.FloatRange)
POSITIVE = IntRange(min=1)
COUNT = IntRange(min=0)


class RecipeOption(click.Option):
    """An option whose default comes from the model's recipe; ``--help`` shows the
    default recipe's value (read only when help is shown)."""

    def __init__(self, *args, recipe_key: str, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.recipe_key = recipe_key

    def get_help_record(self, ctx):
        from seqnet import config as config_mod

        value = config_mod.resolve()
        for key in self.recipe_key.split("."):
            value = value[key]
        shown = str(value).lower() if isinstance(value, bool) else value
        self.show_default = f"the model's recipe; {config_mod.DEFAULT_MODEL}: {shown}"
        return super().get_help_record(ctx)


def _recipe(*decls, key: str, **kwargs):
    return click.option(*decls, cls=RecipeOption, recipe_key=key, **kwargs)


# ----------------------------------------------------------------------------- input options

_SEQUENCE_INPUTS = [
    click.option("--positives", type=click.Path(path_type=Path), help="FASTA (.gz ok) of positive (bound) sequences."),
    click.option("--negatives", type=str, help="FASTA of negatives, or 'shuffle' (dinucleotide-shuffled positives), "
                 "or 'genome' (GC-matched genomic background; with --bed)."),
    click.option("--fasta", type=click.Path(path_type=Path), help="FASTA of all sequences (with --labels)."),
    click.option("--labels", type=click.Path(path_type=Path),
                 help="TSV/CSV: record id, then one 0/1 column per task, one class column, or numeric targets "
                 "(regression). With IDX --images: the IDX labels file."),
    click.option("--bed", type=click.Path(path_type=Path), help="BED peaks (positives), with --genome."),
    click.option("--genome", type=click.Path(path_type=Path),
                 help="Genome FASTA for --bed (indexed with pyfaidx; .fai built if missing)."),
    click.option("--tile", is_flag=True,
                 help="Cut each BED interval into consecutive --length windows instead of centring one window on it."),
]

_ARRAY_INPUTS = [
    click.option("--timeseries", type=click.Path(path_type=Path),
                 help="Expression matrix TSV/CSV (.gz ok): rows = genes/samples, columns = conditions; with --conditions."),
    click.option("--conditions", type=click.Path(path_type=Path),
                 help="TSV for --timeseries: condition (matrix column), series, time."),
    click.option("--table", type=click.Path(path_type=Path),
                 help="Feature table TSV/CSV (.gz ok): sample id, then one numeric column per feature."),
    click.option("--images", type=click.Path(path_type=Path),
                 help="Images: CSV (pixels then label per row), NPZ (arrays x, y) or IDX (labels in --labels)."),
]

_PREDICT_INPUTS = [click.option("--fasta", type=click.Path(path_type=Path), help="FASTA (.gz ok) of sequences to score."),
                   *_ARRAY_INPUTS]


def _options(opts: list):
    """Decorate a command with ``opts``, in order."""

    def decorate(fn):
        for opt in reversed(opts):
            fn = opt(fn)
        return fn

    return decorate


def _split_list(value: str | None) -> list[str] | None:
    if value is None:
        return None
    items = [v.strip() for v in value.split(",") if v.strip()]
    return items or None


def _spec(params: dict):
    from seqnet.inputs import InputSpec

    return InputSpec.from_options(params)
