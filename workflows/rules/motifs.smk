# Stage 4: the motifs each model learned, from its first-layer filters (clustered, one per
# thing learned) and from DeepLIFT/SHAP + TF-MoDISco, named against JASPAR (pyjaspar,
# offline), counted in positives vs negatives and ranked by their signed influence.


rule motifs:
    input:
        model=rules.train.output.model,
        positives=rules.prepare.output.positives,
        negatives=rules.prepare.output.negatives,
    output:
        report=f"{RESULTS}/{{sample}}/seed{{seed}}/motifs/report.html",
        matches=f"{RESULTS}/{{sample}}/seed{{seed}}/motifs/matches.tsv",
        meme=f"{RESULTS}/{{sample}}/seed{{seed}}/motifs/motifs.meme",
    params:
        run=lambda wildcards, input: Path(input.model).parent,
        out=lambda wildcards, output: Path(output.report).parent,
        device=config["device"],
        method=config["motifs"].get("method", "both"),
        args=config["motifs"]["args"],
    log:
        f"{RESULTS}/logs/motifs/{{sample}}.seed{{seed}}.log",
    threads: config["threads"]["motifs"]
    resources:
        mem_mb=config["resources"]["motifs"]["mem_mb"],
        runtime=config["resources"]["motifs"]["runtime"],
        gpu=GPU,
    conda:
        "../envs/seqnet.yaml"
    shell:
        "OMP_NUM_THREADS={threads} NUMBA_NUM_THREADS={threads} seqnet motifs {params.run}"
        " --fasta {input.positives} --negatives {input.negatives} --method {params.method}"
        " --device {params.device} {params.args}"
        " --out {params.out} --overwrite > {log} 2>&1"
