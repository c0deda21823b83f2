#!/usr/bin/env bash
# Measures JPMML-Evaluator 1.7.7 on the PMML conformance corpus with JScore.java, one JVM per model,
# and prints one line per model for `weir-bench pmml --jpmml FILE`.
# Usage: benchmarks/jpmml/run.sh CORPUS_DIR JAR_DIR [WARMUP_S] [RUN_S] > jpmml.txt
# JAR_DIR: the pmml-evaluator 1.7.7 jars and their dependencies (the jpmml_evaluator PyPI package ships
# them under jpmml_evaluator/dependencies). Needs a JDK 17 (javac, java).
set -euo pipefail
corpus="$1"; jars="$2"; warm="${3:-2}"; run="${4:-5}"
out="$(mktemp -d)"
javac -d "$out" -cp "$jars/*" "$(dirname "$0")/JScore.java"
for d in "$corpus"/*/; do
    [ -f "$d/model.pmml" ] || continue
    java -Xms1g -Xmx2g -XX:+UseG1GC -cp "$jars/*:$out" JScore bench "$d/model.pmml" "$d/inputs.csv" "$warm" "$run"
done
