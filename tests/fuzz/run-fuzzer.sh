#!/usr/bin/env bash
# Runs one libFuzzer target for a bounded time over a scratch copy of its
# committed corpus. Fails on any crash, leak, timeout or out-of-memory.
# The seed is fixed (HVP_FUZZ_SEED, default 1) so a CI run is repeatable;
# set HVP_FUZZ_SEED=0 for a random one when hunting for new bugs, and
# HVP_FUZZ_SECONDS at configure time for longer runs.
set -euo pipefail
fuzzer=$1 corpus=$2 seconds=$3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/corpus"
if [ -d "$corpus" ]; then cp -r "$corpus"/. "$work/corpus/"; fi
"$fuzzer" -seed="${HVP_FUZZ_SEED:-1}" -max_total_time="$seconds" -timeout=5 -rss_limit_mb=1024 \
  -max_len=65536 -artifact_prefix="$work/" -print_final_stats=1 "$work/corpus"
