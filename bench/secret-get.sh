#!/usr/bin/env bash
# Measures 'dso secret get NAME' on a vault of 10,000 entries against 'docker version' (a client call that
# requests the version of the local engine), with hyperfine -N. The goal is a ratio dso/docker of at most 1.0.
#
# The runs come in BLOCKS hyperfine calls of RUNS runs per command. The order of the two commands flips
# from one block to the next, so that a slow phase of the machine hits both. The medians pool every run.
#
# Settings (environment): ENTRIES (10000), BLOCKS (6), RUNS (30), WARMUP (5), DSO_BIN (out/bin/dso).
set -euo pipefail
source "$(dirname "$0")/lib.sh"

entries=${ENTRIES:-10000}
blocks=${BLOCKS:-6}
runs=${RUNS:-30}
warmup=${WARMUP:-5}

require_dso
require_tools hyperfine jq docker
docker version >/dev/null 2>&1 || fail "the Docker engine does not answer; run: bash scripts/ensure-docker.sh"

work=$(mktemp -d /tmp/dsobench-get-XXXXXX)
home=""
cleanup() {
  [ -n "$home" ] && rm -rf "$(dirname "$home")"
  rm -rf "$work"
}
trap cleanup EXIT

log "Filling a vault with $entries entries (one 'dso secret import')"
start=$(now_ns)
home=$(new_filled_home "$entries")
fill_ms=$(( ($(now_ns) - start) / 1000000 ))
export DSO_HOME=$home

name=$(printf 'bench/SECRET_%06d' $(( entries / 2 )))
expected=$(printf 'value-%06d-0123456789abcdef0123456789abcdef' $(( entries / 2 )))
[ "$("$dso" secret get "$name")" = "$expected" ] || fail "dso secret get $name did not return the imported value"

get_command="$dso secret get $name"
log "hyperfine: $blocks blocks of $runs runs each, warmup $warmup, order flipped every block"
: >"$work/dso.ms"
: >"$work/docker.ms"
: >"$work/block-ratios"
for block in $(seq 1 "$blocks"); do
  if (( block % 2 )); then
    order=(-n dso "$get_command" -n docker "docker version")
  else
    order=(-n docker "docker version" -n dso "$get_command")
  fi
  hyperfine -N --style none --warmup "$warmup" --runs "$runs" --output null \
    --export-json "$work/block.json" "${order[@]}" >/dev/null
  hyperfine_times_ms "$work/block.json" dso >>"$work/dso.ms"
  hyperfine_times_ms "$work/block.json" docker >>"$work/docker.ms"
  block_dso=$(hyperfine_times_ms "$work/block.json" dso | median)
  block_docker=$(hyperfine_times_ms "$work/block.json" docker | median)
  ratio "$block_dso" "$block_docker" >>"$work/block-ratios"
  log "block $block: dso $(fmt "$block_dso" 1) ms, docker version $(fmt "$block_docker" 1) ms"
done

dso_ms=$(median <"$work/dso.ms")
docker_ms=$(median <"$work/docker.ms")
read -r ratio_min ratio_max < <(min_max <"$work/block-ratios")

echo
echo "secret get on a vault of $entries entries vs docker version ($(wc -l <"$work/dso.ms") runs each)"
result "get.vault_fill_ms" "$fill_ms"
result "get.vault_bytes" "$(stat -c %s "$home/vault.enc")"
result "get.dso_median_ms" "$(fmt "$dso_ms" 1)"
result "get.docker_version_median_ms" "$(fmt "$docker_ms" 1)"
result "get.ratio" "$(ratio "$dso_ms" "$docker_ms")"
result "get.ratio_block_range" "$ratio_min-$ratio_max"
