# Stage 1: peaks -> FASTA.  BED + genome, a positives FASTA or a sequence table becomes
# positives.fa and negatives.fa (shuffled, GC-matched genomic, given, or a table's rows
# labelled 0); a sample's test set goes the same way.


rule prepare:
    input:
        unpack(prepare_inputs),
    output:
        positives=f"{RESULTS}/{{sample}}/data/positives.fa",
        negatives=f"{RESULTS}/{{sample}}/data/negatives.fa",
    params:
        args=prepare_args,
    log:
        f"{RESULTS}/logs/prepare/{{sample}}.log",
    threads: config["threads"]["prepare"]
    resources:
        mem_mb=config["resources"]["prepare"]["mem_mb"],
        runtime=config["resources"]["prepare"]["runtime"],
    conda:
        "../envs/seqnet.yaml"
    shell:
        "seqnet prepare {params.args}"
        " --out-positives {output.positives} --out-negatives {output.negatives} > {log} 2>&1"


rule prepare_test:
    input:
        unpack(lambda wildcards: prepare_inputs(wildcards, prefix="test_")),
    output:
        positives=f"{RESULTS}/{{sample}}/data/test_positives.fa",
        negatives=f"{RESULTS}/{{sample}}/data/test_negatives.fa",
    params:
        args=lambda wildcards, input: prepare_args(wildcards, input, prefix="test_"),
    log:
        f"{RESULTS}/logs/prepare_test/{{sample}}.log",
    threads: config["threads"]["prepare"]
    resources:
        mem_mb=config["resources"]["prepare"]["mem_mb"],
        runtime=config["resources"]["prepare"]["runtime"],
    conda:
        "../envs/seqnet.yaml"
    shell:
        "seqnet prepare {params.args}"
        " --out-positives {output.positives} --out-negatives {output.negatives} > {log} 2>&1"
