#!/usr/bin/env bash
# Whole-process synth of the reference example: wall time and peak memory of
# `production synth`, over RUNS runs of a release build without the AWS SDK.
set -euo pipefail
cd "$(dirname "$0")/../.."
runs=${RUNS:-30}
cargo build --quiet --release -p stackwright --no-default-features --example production
bin=target/release/examples/production
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
"$bin" --out "$out" synth --quiet # warm the page cache
python3 - "$bin" "$out" "$runs" <<'PY'
import resource, statistics, subprocess, sys, time
binary, out, runs = sys.argv[1], sys.argv[2], int(sys.argv[3])
walls, peaks = [], []
for _ in range(runs):
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    subprocess.run([binary, "--out", out, "synth", "--quiet"], check=True)
    walls.append((time.perf_counter() - t) * 1000)
    peaks.append(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
print(f"production synth, {runs} runs: median {statistics.median(walls):.1f} ms, "
      f"min {min(walls):.1f} ms, max {max(walls):.1f} ms; peak RSS {max(peaks) / 1024:.1f} MiB")
PY
