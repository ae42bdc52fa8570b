"""Runs specnet's Google Benchmark binary (bench/specnet_bench) for the compare_*.py scripts and returns the median
aggregate of each benchmark that matched; stops with the reason when the binary is missing or a benchmark skipped."""
import json
import os
import subprocess
import sys


def specnet_medians(exe, pattern, repetitions):
    """Benchmarks matching the regex `pattern`, each repeated `repetitions` times: their Google Benchmark JSON
    records of aggregate "median" (real_time in the benchmark's unit, counters by name); with one repetition,
    where Google Benchmark writes no aggregates, the runs themselves."""
    if not os.path.exists(exe):
        sys.exit(f"{exe} not found: configure with -DSPECNET_BUILD_BENCHMARKS=ON (a CUDA build for the GPU "
                 "benchmarks) and build specnet_bench")
    out = subprocess.run([exe, f"--benchmark_filter={pattern}", "--benchmark_format=json",
                          f"--benchmark_repetitions={repetitions}", "--benchmark_report_aggregates_only=true"],
                         check=True, capture_output=True, text=True).stdout
    medians = []
    for b in json.loads(out)["benchmarks"]:
        if b.get("error_occurred"):
            sys.exit(f"specnet benchmark {b['name']} skipped: {b.get('error_message')}")
        if b.get("aggregate_name") == "median" or (repetitions <= 1 and b.get("run_type") == "iteration"):
            medians.append(b)
    return medians
