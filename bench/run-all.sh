#!/usr/bin/env bash
# Builds dso, runs the three benchmarks of the dso binary and then bench/provider-poll.sh, and prints the
# machine and markdown tables of the results. Each benchmark's progress goes to standard error, and the
# summary goes to standard output, ready for docs/benchmarks.md.
#
# Settings (environment): BUILD=0 skips 'bash scripts/build.sh' and uses out/bin/dso as it is; the
# settings of each benchmark (ROUNDS, BLOCKS, RUNS, SIZES, CYCLES, ...) are passed through to it.
# PROVIDERS=0 skips the provider polling benchmark (3-4 minutes on a loaded 2-core machine, with its build).
set -euo pipefail
source "$(dirname "$0")/lib.sh"

cd "$bench_root"
if [ "${BUILD:-1}" != 0 ]; then
  bash scripts/build.sh
fi
require_dso
require_tools docker docker-compose hyperfine jq

results=$(mktemp /tmp/dsobench-results-XXXXXX)
trap 'rm -f "$results"' EXIT
export BENCH_RESULTS=$results

for benchmark in up-vs-compose secret-get secret-set; do
  log "bench/$benchmark.sh"
  bash "bench/$benchmark.sh" >&2
done

# Prints the value recorded under KEY.
value() { awk -F '\t' -v key="$1" '$1 == key { print $2 }' "$results"; }

# Prints "yes" when VALUE <= LIMIT, else "no".
meets() { awk -v v="$1" -v limit="$2" 'BEGIN { print (v <= limit) ? "yes" : "no" }'; }

echo "## Machine"
echo
echo "- CPU cores (nproc): $(nproc)"
echo "- Memory: $(free -m | awk '/^Mem:/ { print $2 }') MiB"
echo "- Kernel: $(uname -sr)"
echo "- Docker engine: $(docker version --format '{{.Server.Version}}'), client $(docker version --format '{{.Client.Version}}')"
echo "- Compose: $(docker-compose version --short)"
echo "- hyperfine: $(hyperfine --version | awk '{ print $2 }')"
echo "- dso: $("$dso" version) (Native AOT, out/bin/dso)"
echo "- Load average when the run ended: $(cut -d ' ' -f 1-3 /proc/loadavg)"
echo
echo "## Goals"
echo
echo "| Benchmark | dso (median) | Baseline (median) | Ratio dso/baseline | Goal | Met |"
echo "|---|---|---|---|---|---|"
echo "| \`dso up -d\`, $(value up.services) services, $(value up.rounds) rounds | $(value up.dso_median_ms) ms | \`docker-compose up -d\`: $(value up.compose_median_ms) ms | $(value up.ratio) | ≤ 1.10 | $(meets "$(value up.ratio)" 1.10) |"
echo "| \`dso secret get\`, 10,000 entries | $(value get.dso_median_ms) ms | \`docker version\`: $(value get.docker_version_median_ms) ms | $(value get.ratio) (blocks: $(value get.ratio_block_range)) | ≤ 1.0 | $(meets "$(value get.ratio)" 1.0) |"
echo
echo "## Details"
echo
echo "| Measure | Value |"
echo "|---|---|"
echo "| \`dso up -d\` range over the rounds | $(value up.dso_range_ms) ms |"
echo "| \`docker-compose up -d\` range over the rounds | $(value up.compose_range_ms) ms |"
echo "| dso's own work in \`dso up -d\` (Compose replaced by \`true\`) | $(value up.dso_own_work_median_ms) ms |"
echo "| Vault fill: \`dso secret import\` of 10,000 lines | $(value get.vault_fill_ms) ms, vault.enc $(value get.vault_bytes) bytes |"
echo "| 1,000 \`dso secret set\` in a row: total | $(value set.sequence_total_s) s |"
echo "| 1,000 \`dso secret set\` in a row: per call | $(value set.sequence_per_call_ms) ms (first 100: $(value set.sequence_first_100_per_call_ms) ms, last 100: $(value set.sequence_last_100_per_call_ms) ms) |"
echo "| \`dso version\` per call (same loop, baseline) | $(value set.version_per_call_ms) ms; set/version $(value set.sequence_ratio_to_version) |"
echo
echo "## Vault size"
echo
echo "| Operation | 100 entries | 1,000 entries | 10,000 entries |"
echo "|---|---|---|---|"
for operation in get check set; do
  case $operation in
    get) label="open: \`dso secret get NAME\`" ;;
    check) label="open: \`dso vault check\`" ;;
    set) label="save: \`dso secret set NAME\`" ;;
  esac
  row="| $label"
  for size in 100 1000 10000; do
    row="$row | $(value "set.growth.$operation.$size.median_ms") ms (×$(value "set.growth.$operation.$size.ratio"))"
  done
  echo "$row |"
done
echo "| vault.enc size | $(value set.growth.vault_bytes.100) B | $(value set.growth.vault_bytes.1000) B | $(value set.growth.vault_bytes.10000) B |"

if [ "${PROVIDERS:-1}" != 0 ]; then
  # It prints its own tables, and it needs only the .NET SDK and 127.0.0.1.
  log "bench/provider-poll.sh"
  echo
  echo "## Provider polling"
  echo
  bash bench/provider-poll.sh
fi
