# Stage 2: train one model per sample and seed.  The run directory holds model.pt,
# config.yaml, history.csv, metrics.json (held-out test split) and train.log.


rule train:
    input:
        positives=rules.prepare.output.positives,
        negatives=rules.prepare.output.negatives,
        recipe=train_recipe,
    output:
        model=f"{RESULTS}/{{sample}}/seed{{seed}}/run/model.pt",
        metrics=f"{RESULTS}/{{sample}}/seed{{seed}}/run/metrics.json",
        config=f"{RESULTS}/{{sample}}/seed{{seed}}/run/config.yaml",
    params:
        run=lambda wildcards, output: Path(output.model).parent,
        args=train_args,
    log:
        f"{RESULTS}/logs/train/{{sample}}.seed{{seed}}.log",
    threads: config["threads"]["train"]
    resources:
        mem_mb=config["resources"]["train"]["mem_mb"],
        runtime=config["resources"]["train"]["runtime"],
        gpu=GPU,
    conda:
        "../envs/seqnet.yaml"
    shell:
        "OMP_NUM_THREADS={threads} seqnet train --positives {input.positives} --negatives {input.negatives}"
        " --task-name {wildcards.sample} --seed {wildcards.seed} {params.args}"
        " --out {params.run} --overwrite --quiet > {log} 2>&1"
