# Stage 5 (optional): apply each trained model to a genome.  `scan` writes one track per
# task over the genome (or the regions its args name); `variants` scores a VCF.  Each runs
# when its section of the config names its input files (see config/config.yaml).


rule scan:
    input:
        model=rules.train.output.model,
        genome=lambda wildcards: config["scan"]["genome"],
    output:
        summary=f"{RESULTS}/{{sample}}/seed{{seed}}/scan/summary.json",
    params:
        run=lambda wildcards, input: Path(input.model).parent,
        out=lambda wildcards, output: Path(output.summary).parent,
        device=config["device"],
        args=config["scan"]["args"],
    log:
        f"{RESULTS}/logs/scan/{{sample}}.seed{{seed}}.log",
    threads: config["threads"]["scan"]
    resources:
        mem_mb=config["resources"]["scan"]["mem_mb"],
        runtime=config["resources"]["scan"]["runtime"],
        gpu=GPU,
    conda:
        "../envs/seqnet.yaml"
    shell:
        "OMP_NUM_THREADS={threads} seqnet --threads {threads} scan {params.run} --genome {input.genome}"
        " --device {params.device} {params.args} --out {params.out} --overwrite --quiet > {log} 2>&1"


rule variants:
    input:
        model=rules.train.output.model,
        vcf=lambda wildcards: config["variants"]["vcf"],
        genome=lambda wildcards: config["variants"]["genome"],
    output:
        table=f"{RESULTS}/{{sample}}/seed{{seed}}/variants/variants.tsv",
        vcf=f"{RESULTS}/{{sample}}/seed{{seed}}/variants/variants.vcf",
    params:
        run=lambda wildcards, input: Path(input.model).parent,
        out=lambda wildcards, output: Path(output.table).parent,
        device=config["device"],
        args=config["variants"]["args"],
    log:
        f"{RESULTS}/logs/variants/{{sample}}.seed{{seed}}.log",
    threads: config["threads"]["variants"]
    resources:
        mem_mb=config["resources"]["variants"]["mem_mb"],
        runtime=config["resources"]["variants"]["runtime"],
        gpu=GPU,
    conda:
        "../envs/seqnet.yaml"
    shell:
        "OMP_NUM_THREADS={threads} seqnet --threads {threads} variants {params.run} --vcf {input.vcf}"
        " --genome {input.genome} --device {params.device} {params.args} --out {params.out} --overwrite > {log} 2>&1"
