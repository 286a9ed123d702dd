# Stage 5: one table over all samples (test AUROC / AUPRC, top motifs with their JASPAR
# names) and an index page linking each sample's motif report.


rule summary:
    input:
        models=all_runs(rules.train.output.model),
        evaluations=all_evaluations(rules.evaluate.output.metrics),
        motifs=all_runs(rules.motifs.output.matches),
    output:
        table=f"{RESULTS}/summary.tsv",
        html=f"{RESULTS}/index.html",
    params:
        args=summary_args,
    log:
        f"{RESULTS}/logs/summary.log",
    threads: config["threads"]["summary"]
    resources:
        mem_mb=config["resources"]["summary"]["mem_mb"],
        runtime=config["resources"]["summary"]["runtime"],
    conda:
        "../envs/seqnet.yaml"
    shell:
        "seqnet summarize {params.args} --out {output.table} --html {output.html} > {log} 2>&1"
