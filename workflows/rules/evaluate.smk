# Stage 3: score each model on its sample's own test set (test_bed, test_positives or
# test_table).  Samples without one are summarised on the held-out test split that
# `seqnet train` kept aside (the run's metrics.json); the summary's test_set column
# says which.


rule evaluate:
    input:
        model=rules.train.output.model,
        positives=rules.prepare_test.output.positives,
        negatives=rules.prepare_test.output.negatives,
    output:
        metrics=f"{RESULTS}/{{sample}}/seed{{seed}}/evaluate.json",
    params:
        run=lambda wildcards, input: Path(input.model).parent,
        device=config["device"],
        args=config["evaluate"]["args"],
    log:
        f"{RESULTS}/logs/evaluate/{{sample}}.seed{{seed}}.log",
    threads: config["threads"]["evaluate"]
    resources:
        mem_mb=config["resources"]["evaluate"]["mem_mb"],
        runtime=config["resources"]["evaluate"]["runtime"],
        gpu=GPU,
    conda:
        "../envs/seqnet.yaml"
    shell:
        "OMP_NUM_THREADS={threads} seqnet evaluate {params.run} --positives {input.positives}"
        " --negatives {input.negatives} --device {params.device} {params.args} --out {output.metrics} > {log} 2>&1"
