"""`seqnet summarize`: runs, evaluations and motif folders in; one TSV and an index page out."""

from __future__ import annotations

import json
import re

import pandas as pd
import pytest
from conftest import write

MATCHES = (
    "motif\tconsensus\tnsites\tinformation_content\tbest_match_id\tbest_match_name\tp\tq\tstrand\tinfluence\tfilters\n"
    "filter_3\tGATAAG\t40\t9.1\tMA0035.5\tGATA1\t1e-6\t0.0004\t+\t0.12\t3\n"
    "filter_1\tCCGGAT\t30\t6.0\tMA0080.6\tSPI1\t0.01\t0.3\t-\t0.05\t1\n"
    "filter_7\tCCCTC\t25\t5.0\t\t\t\t\t\t0.01\t7\n"
)


def _run(folder, *, model="deepbind", seed=0, split="test", auroc=0.91, n=40, baselines=None):
    folder.mkdir(parents=True)
    write(folder / "config.yaml", f"model: {model}\nseed: {seed}\n")
    metrics = {"split": split, "n": n, "auroc": {"t": auroc, "mean": auroc}, "auprc": {"t": 0.8, "mean": 0.8}}
    if baselines:
        metrics["baselines"] = {k: {"auroc": {"t": v, "mean": v}} for k, v in baselines.items()}
    write(folder / "metrics.json", json.dumps(metrics))
    return folder


@pytest.fixture
def layout(tmp_path):
    """Two runs: 'a' with an external evaluation and motifs, 'b' with its own test split only."""
    a = _run(tmp_path / "res" / "a" / "run", seed=3)
    b = _run(tmp_path / "res" / "b" / "run", model="danq", auroc=0.75, baselines={"gc": 0.6, "kmer": 0.7})
    ev = write(tmp_path / "res" / "a" / "evaluate.json",
               json.dumps({"split": "all", "n": 1000, "auroc": {"a": 0.93, "mean": 0.93},
                           "auprc": {"a": 0.9, "mean": 0.9}}))
    motifs = tmp_path / "res" / "a" / "motifs"
    motifs.mkdir()
    write(motifs / "matches.tsv", MATCHES)
    write(motifs / "report.html", "<html></html>")
    return {"a": a, "b": b, "ev": ev, "motifs": motifs, "tmp": tmp_path}


def test_summary_table_and_index(cli, layout):
    out = layout["tmp"] / "res" / "summary.tsv"
    page = layout["tmp"] / "res" / "index.html"
    result = cli("summarize", "--run", f"a={layout['a']}", "--run", f"b={layout['b']}",
                 "--metrics", f"a={layout['ev']}", "--motifs", f"a={layout['motifs']}",
                 "--out", out, "--html", page, "--top", 2)
    assert result.exit_code == 0, result.output
    table = pd.read_csv(out, sep="\t")
    assert list(table.columns) == ["sample", "model", "seed", "test_set", "n", "auroc", "auprc", "baseline",
                                   "baseline_auroc", "model_vs_baseline", "motifs", "significant_motifs",
                                   "top_motifs", "report"]  # issue 15: the best baseline beside the model
    a, b = table.to_dict("records")
    assert b["baseline"] == "kmer" and b["baseline_auroc"] == 0.7 and b["model_vs_baseline"] == pytest.approx(0.05)
    assert pd.isna(a["baseline"]) and pd.isna(a["model_vs_baseline"])  # a run without baselines
    for k in ("baseline", "baseline_auroc", "model_vs_baseline"):
        a.pop(k)
    assert a == {"sample": "a", "model": "deepbind", "seed": 3, "test_set": "external", "n": 1000, "auroc": 0.93,
                 "auprc": 0.9, "motifs": 3.0, "significant_motifs": 1.0,
                 "top_motifs": "GATA1 (MA0035.5, q=0.0004); CCGGAT (no match at q<0.05)",
                 "report": "a/motifs/report.html"}
    assert b["test_set"] == "train split" and b["n"] == 40 and b["auroc"] == 0.75 and b["model"] == "danq"
    assert pd.isna(b["motifs"]) and pd.isna(b["top_motifs"]) and pd.isna(b["report"])
    assert out.read_text().splitlines()[2].endswith("\t\t\t\t")  # b: empty motif cells
    text = page.read_text()
    links = re.findall(r'href="([^"]+)"', text)
    assert links == ["summary.tsv", "a/motifs/report.html"]
    for link in links:
        assert (page.parent / link).is_file()
    assert "GATA1 (MA0035.5, q=0.0004)" in text and "external" in text and "train split" in text
    assert "a " in result.output and "0.9300" in result.output  # the table on stdout


def test_max_q_and_top(cli, layout):
    out = layout["tmp"] / "s.tsv"
    result = cli("summarize", "--run", f"a={layout['a']}", "--motifs", f"a={layout['motifs']}", "--out", out,
                 "--max-q", 0.5, "--top", 5)
    assert result.exit_code == 0, result.output
    row = pd.read_csv(out, sep="\t").iloc[0]
    assert row.top_motifs == "GATA1 (MA0035.5, q=0.0004); SPI1 (MA0080.6, q=0.3); CCCTC (no match at q<0.5)"
    assert row.significant_motifs == 2 and row.test_set == "train split"


@pytest.mark.parametrize(
    "args, message",
    [
        (["--run", "a"], "--run 'a': expected NAME=PATH"),
        (["--run", "a={a}", "--run", "a={b}"], "--run: name 'a' is given twice"),
        (["--run", "a={a}", "--metrics", "z={ev}"], "--metrics z=...: no --run named 'z' (runs: a)"),
        (["--run", "a={tmp}/nope"], "nope: no such run directory; expected the --out directory of seqnet train"),
        (["--run", "a={tmp}"], "config.yaml: no such file; expected the config.yaml of a seqnet train run"),
        (["--run", "a={a}", "--metrics", "a={tmp}/x.json"],
         "x.json: no such file; expected metrics JSON as seqnet train (metrics.json) or seqnet evaluate --out writes"),
        (["--run", "a={a}", "--metrics", "a={bad_json}"], "bad.json: not valid JSON"),
        (["--run", "a={a}", "--metrics", "a={no_keys}"], "keys.json: no 'n', 'auroc.mean' or 'auprc.mean'"),
        (["--run", "a={a}", "--metrics", "a={regression}"],
         "reg.json: a regression run (Pearson / MSE, no AUROC); the summary covers classification runs"),
        (["--run", "a={a}", "--motifs", "a={tmp}"],
         "matches.tsv: no such file; expected the matches.tsv of a seqnet motifs --out directory"),
        (["--run", "a={a}", "--motifs", "a={bad_motifs}"],
         "matches.tsv: missing columns best_match_name, q; expected the matches.tsv of seqnet motifs"),
        (["--run", "a={a}", "--top", "-1"], "--top must be >= 0, got -1"),
        (["--run", "a={a}", "--max-q", "0"], "--max-q must be in (0, 1], got 0.0"),
    ],
)
def test_errors(cli, layout, args, message):
    tmp = layout["tmp"]
    bad_motifs = tmp / "badm"
    bad_motifs.mkdir()
    write(bad_motifs / "matches.tsv", "motif\tconsensus\tbest_match_id\tinfluence\nm\tACGT\tMA1\t0.1\n")
    names = {"a": layout["a"], "b": layout["b"], "ev": layout["ev"], "tmp": tmp,
             "bad_json": write(tmp / "bad.json", "{not json"), "no_keys": write(tmp / "keys.json", '{"n": 3}'),
             "regression": write(tmp / "reg.json", '{"n": 3, "pearson": {"mean": 0.5}, "mse": {"mean": 1.0}}'),
             "bad_motifs": bad_motifs}
    out = tmp / "out" / "summary.tsv"
    result = cli("summarize", *[a.format(**names) for a in args], "--out", out, "--html", tmp / "out" / "i.html")
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: ") and message in result.stderr, result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert not out.exists() and not (tmp / "out" / "i.html").exists()


NEW_MATCHES = (
    "motif\tname\tmethod\tconsensus\tnsites\tinformation_content\tdirection\tinfluence\tinfluence_by_output\t"
    "sequences_with_site\tsite_enrichment\tbest_match_id\tbest_match_name\tp\tq\tstrand\toffset\tfilters\tseqlets\n"
    "motif_1\tMAF\tfilters\tTGCTGAGTCAGCA\t8000\t15.4\traises P(mafk)\t-0.5\tbound -0.5\tx\t79\tMA1520.2\tMAF\t1e-10\t4e-08\t-\t-4\t1,2\t\n"
    "motif_2\tMAF\tmodisco\tGCTGAGTCAGC\t400\t13\traises P(mafk)\t\tbound: negative seqlets\tx\t40\tMA1520.2\tMAF\t1e-8\t2e-05\t+\t1\t\t400\n"
    "motif_3\tPou5f1::Sox2\tfilters\tCCTTTGTTATGCAAAT\t6000\t15.1\traises P(oct4)\t0.04\tbound +0.04\tx\t57\tMA0142.1\tPou5f1::Sox2\t1e-20\t2e-17\t+\t-1\t3\t\n"
)


def test_top_motifs_are_distinct_factors_with_direction(cli, layout):
    write(layout["motifs"] / "matches.tsv", NEW_MATCHES)
    out = layout["tmp"] / "s.tsv"
    result = cli("summarize", "--run", f"a={layout['a']}", "--motifs", f"a={layout['motifs']}", "--out", out,
                 "--top", 2)
    assert result.exit_code == 0, result.output
    row = pd.read_csv(out, sep="\t").iloc[0]
    assert row.top_motifs == ("MAF (MA1520.2, q=4e-08) raises P(mafk); "
                              "Pou5f1::Sox2 (MA0142.1, q=2e-17) raises P(oct4)")
    assert row.motifs == 3 and row.significant_motifs == 3
