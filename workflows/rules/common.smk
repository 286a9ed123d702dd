# Shared helpers: the samples, their input files and the command-line options of each
# step.  Every step itself is one `seqnet` command (see the other rules/*.smk files).

import io
import re
import shlex
from pathlib import Path

import pandas as pd
from snakemake.exceptions import WorkflowError
from snakemake.utils import validate


RESULTS = config["results"].rstrip("/")
# A job requests a GPU (resource gpu=1) when the steps run on CUDA.
GPU = 1 if config["device"].startswith("cuda") else 0

_KEYWORDS = ("shuffle", "genome")
_TRUE = {"true", "yes", "1"}
_FALSE = {"false", "no", "0"}


def _typed_row(name, row, source):
    """Turn the text cells of a samples-table row into the schema's types."""
    out = {}
    for key, value in row.items():
        value = "" if value is None else str(value).strip()
        if not value:
            continue
        if key == "length":
            if not value.isdigit():
                raise WorkflowError(f"{source}: sample {name!r}, column 'length': expected a whole number, found {value!r}")
            out[key] = int(value)
        elif key == "tile":
            if value.lower() not in _TRUE | _FALSE:
                raise WorkflowError(f"{source}: sample {name!r}, column 'tile': expected true or false, found {value!r}")
            out[key] = value.lower() in _TRUE
        elif key == "seeds":
            if not re.fullmatch(r"\d+(\s*,\s*\d+)*", value):
                raise WorkflowError(f"{source}: sample {name!r}, column 'seeds': expected seeds like 0,1,2, found {value!r}")
            out[key] = [int(s) for s in value.split(",")]
        else:
            out[key] = value
    return out


def load_samples(spec):
    """The samples as ``{name: fields}``, from a TSV samples table or an inline mapping."""
    if isinstance(spec, str):
        if not Path(spec).is_file():
            raise WorkflowError(f"samples table {spec}: no such file (relative paths are relative to the working directory)")
        lines = [line for line in Path(spec).read_text().splitlines() if not line.lstrip().startswith("#")]
        try:
            table = pd.read_csv(io.StringIO("\n".join(lines)), sep="\t", dtype=str, keep_default_na=False)
        except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
            raise WorkflowError(f"{spec}: not a readable TSV samples table ({str(exc).strip()})") from None
        if "sample" not in table.columns:
            raise WorkflowError(f"{spec}: no 'sample' column; expected a TSV with a header naming 'sample' and the input columns")
        records = {}
        for row in table.to_dict("records"):
            name = str(row.pop("sample")).strip()
            if name in records:
                raise WorkflowError(f"{spec}: sample {name!r} is listed twice")
            records[name] = _typed_row(name, row, spec)
        source = spec
    else:
        records = {}
        for name, fields in spec.items():
            fields = dict(fields or {})
            if isinstance(fields.get("seeds"), int):
                fields["seeds"] = [fields["seeds"]]
            records[str(name)] = {k: v for k, v in fields.items() if v is not None and v != ""}
        source = "config 'samples'"
    for name, fields in records.items():
        if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]*", name):
            raise WorkflowError(f"{source}: sample name {name!r}: use letters, digits, '_', '.' and '-' only")
        try:
            validate(fields, "../schemas/samples.schema.yaml")
        except WorkflowError as exc:
            raise WorkflowError(f"{source}: sample {name!r}: {exc}") from None
        _check_sample(name, fields, source)
    return records


def _check_sample(name, s, source):
    where = f"{source}: sample {name!r}"
    given = [k for k in ("bed", "positives", "table") if k in s]
    if len(given) != 1:
        raise WorkflowError(f"{where}: give exactly one of bed (with genome), positives or table, got {given or 'none'}")
    tests = [k for k in ("test_bed", "test_positives", "test_table") if k in s]
    if len(tests) > 1:
        raise WorkflowError(f"{where}: give at most one of test_bed, test_positives or test_table, got {tests}")
    if ("bed" in s or "test_bed" in s) and "genome" not in s:
        raise WorkflowError(f"{where}: bed / test_bed need a genome FASTA")
    if "genome" in s and not ("bed" in s or "test_bed" in s):
        raise WorkflowError(f"{where}: genome goes with bed or test_bed")
    for key, mode in (("negatives", given[0]), ("test_negatives", tests[0] if tests else None)):
        if key in s and s[key] == "genome" and mode not in ("bed", "test_bed"):
            raise WorkflowError(f"{where}: {key}: genome needs bed peaks (genomic background avoids the peaks)")
    if "test_negatives" in s and not tests:
        raise WorkflowError(f"{where}: test_negatives without test_bed, test_positives or test_table")


SAMPLES = load_samples(config["samples"])


def sample_seeds(sample):
    return SAMPLES[sample].get("seeds", config["seeds"])


def run_name(sample, seed):
    """The sample's name in the summary: with the seed when it has several."""
    return sample if len(sample_seeds(sample)) == 1 else f"{sample}_seed{seed}"


def has_test(sample):
    return any(k in SAMPLES[sample] for k in ("test_bed", "test_positives", "test_table"))


def _negatives(s, prefix, mode):
    """The sample's negatives: a keyword, a FASTA path, or None (a labelled table's 0 rows)."""
    value = s.get(f"{prefix}negatives")
    if value is None and mode != "table":
        value = "shuffle"
    return value


def _mode(s, prefix):
    return next(k for k in ("bed", "positives", "table") if f"{prefix}{k}" in s)


def prepare_inputs(wildcards, prefix=""):
    """The files `seqnet prepare` reads for a sample (its test set with prefix 'test_')."""
    s = SAMPLES[wildcards.sample]
    mode = _mode(s, prefix)
    files = {mode: s[f"{prefix}{mode}"]}
    if mode == "bed":
        files["genome"] = s["genome"]
    negatives = _negatives(s, prefix, mode)
    if negatives is not None and negatives not in _KEYWORDS:
        files["negatives"] = negatives
    return files


def prepare_args(wildcards, input, prefix=""):
    """`seqnet prepare` options naming the input files (already in `input`) and how to read them."""
    s = SAMPLES[wildcards.sample]
    mode = _mode(s, prefix)
    args = []
    for key in ("bed", "genome", "positives", "table", "negatives"):
        if hasattr(input, key):
            args += [f"--{key}", getattr(input, key)]
    if mode == "bed":
        args += ["--length", str(s.get("length", config["length"]))]
        if s.get("tile", config["tile"]):
            args.append("--tile")
    elif mode == "table":
        p = config["prepare"]
        args += ["--id-column", p["id_column"], "--seq-column", p["seq_column"]]
        if p["label_column"]:
            args += ["--label-column", p["label_column"]]
    negatives = _negatives(s, prefix, mode)
    if negatives in _KEYWORDS:
        args += ["--negatives", negatives]
    args += ["--seed", str(config["prepare"]["seed"])]
    return shlex.join(str(a) for a in args)


def train_args(wildcards):
    """Model, recipe, device and extra options of `seqnet train` for a sample."""
    s = SAMPLES[wildcards.sample]
    args = ["--model", s.get("model", config["model"]), "--device", config["device"]]
    recipe = s.get("model_config", config["model_config"])
    if recipe:
        args += ["--config", recipe]
    extra = s.get("train_args", config["train_args"])
    return f"{shlex.join(args)} {extra}".rstrip()


def train_recipe(wildcards):
    """The sample's YAML recipe, as an input of train (so editing it retrains)."""
    recipe = SAMPLES[wildcards.sample].get("model_config", config["model_config"])
    return [recipe] if recipe else []


def summary_args(wildcards, input):
    """`seqnet summarize` options: every run, its evaluation (if any) and its motifs."""
    args = []
    names = set()
    for sample in SAMPLES:
        for seed in sample_seeds(sample):
            name = run_name(sample, seed)
            if name in names:
                raise WorkflowError(f"two runs are both named {name!r} in the summary; rename a sample")
            names.add(name)
            run = Path(rules.train.output.model.format(sample=sample, seed=seed)).parent
            args += ["--run", f"{name}={run}"]
            if has_test(sample):
                args += ["--metrics", f"{name}={rules.evaluate.output.metrics.format(sample=sample, seed=seed)}"]
            motifs = Path(rules.motifs.output.matches.format(sample=sample, seed=seed)).parent
            args += ["--motifs", f"{name}={motifs}"]
    args += ["--top", str(config["summary"]["top"]), "--max-q", str(config["summary"]["max_q"]),
             "--title", config["summary"]["title"]]
    return shlex.join(args)


def all_runs(template):
    """``template`` (an upstream rule's output) for every sample and seed."""
    return [template.format(sample=sample, seed=seed) for sample in SAMPLES for seed in sample_seeds(sample)]


def all_evaluations(template):
    return [template.format(sample=sample, seed=seed) for sample in SAMPLES if has_test(sample)
            for seed in sample_seeds(sample)]


def apply_targets():
    """The scan / variants outputs (rules/apply.smk) of every sample and seed, for those the
    config asks for."""
    wanted = []
    if config["scan"]["genome"]:
        wanted += all_runs(rules.scan.output.summary)
    if config["variants"]["vcf"]:
        if not config["variants"]["genome"]:
            raise WorkflowError("config 'variants': vcf needs the genome FASTA it refers to (variants: genome)")
        wanted += all_runs(rules.variants.output.table)
    return wanted
