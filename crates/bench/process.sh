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
import os, statistics, subprocess, sys, time
binary, out, runs = sys.argv[1], sys.argv[2], int(sys.argv[3])
cmd = [binary, "--out", out, "synth", "--quiet"]


def wall_times(cmd):
    walls = []
    for _ in range(runs):
        t = time.perf_counter()
        subprocess.run(cmd, check=True)
        walls.append((time.perf_counter() - t) * 1000)
    return walls


walls = wall_times(cmd)
# The same loop around a process that does nothing (fork, exec, wait): the synth
# figures are this much harness plus the synth itself.
floor = wall_times(["/bin/true"])
# A child of this script starts as a copy of it, and the kernel counts that copy in the
# child's peak RSS, so the peak is taken under GNU time, whose children start small.
peak = "n/a (no /usr/bin/time)"
if os.access("/usr/bin/time", os.X_OK):
    kib = []
    for _ in range(5):
        r = subprocess.run(["/usr/bin/time", "-f", "%M", *cmd], check=True,
                           stderr=subprocess.PIPE, text=True)
        kib.append(int(r.stderr.strip().splitlines()[-1]))
    peak = f"{max(kib) / 1024:.1f} MiB"
print(f"production synth, {runs} runs: median {statistics.median(walls):.1f} ms, "
      f"min {min(walls):.1f} ms, max {max(walls):.1f} ms; peak RSS {peak}")
print(f"harness floor (/bin/true), {runs} runs: median {statistics.median(floor):.2f} ms, "
      f"min {min(floor):.2f} ms")
PY
