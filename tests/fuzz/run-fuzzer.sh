#!/usr/bin/env bash
# Runs one libFuzzer target for a bounded time over a scratch copy of its
# committed corpus. Fails on any crash, leak, timeout or out-of-memory.
set -euo pipefail
fuzzer=$1 corpus=$2 seconds=$3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/corpus"
if [ -d "$corpus" ]; then cp -r "$corpus"/. "$work/corpus/"; fi
"$fuzzer" -max_total_time="$seconds" -timeout=5 -rss_limit_mb=1024 \
  -max_len=65536 -artifact_prefix="$work/" -print_final_stats=1 "$work/corpus"
