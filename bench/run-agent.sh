#!/usr/bin/env bash
# Builds dso, runs the two agent benchmarks (bench/rotation-latency.sh and bench/agent-idle.sh) and prints
# the machine and markdown tables of the results. They are kept out of bench/run-all.sh because they take
# 15 to 25 minutes on 2 cores, most of it starting 1,000 containers. Progress goes to standard error, and
# the summary goes to standard output, ready for docs/benchmarks.md.
#
# Settings (environment): BUILD=0 skips 'bash scripts/build.sh' and uses out/bin/dso as it is; the
# settings of each benchmark (ROUNDS, POLL_INTERVAL, COUNTS, WINDOW_S, ...) are passed through to it.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

cd "$bench_root"
if [ "${BUILD:-1}" != 0 ]; then
  bash scripts/build.sh
fi
require_dso
require_tools docker jq

results=$(mktemp /tmp/dsobench-results-XXXXXX)
trap 'rm -f "$results"' EXIT
export BENCH_RESULTS=$results

load_start=$(cut -d ' ' -f 1-3 /proc/loadavg)
for benchmark in rotation-latency agent-idle; do
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
echo "- dso: $("$dso" version) (Native AOT, out/bin/dso)"
echo "- Load average when the run started: $load_start; when it ended: $(cut -d ' ' -f 1-3 /proc/loadavg)"
echo
echo "## Rotation latency"
echo
echo "Secret change to new container healthy, median of $(value rot.rounds) rounds; floor: \`docker create\` + \`docker start\` + health check."
echo
echo "| Trigger | Strategy | dso (median, range) | Floor (median, range) | Ratio | Goal | Met |"
echo "|---|---|---|---|---|---|---|"
for strategy in rolling restart; do
  echo "| \`dso rotate\` | $strategy | $(value "rot.manual.$strategy.median_ms") ms ($(value "rot.manual.$strategy.range_ms")) | $(value rot.manual.floor_median_ms) ms ($(value rot.manual.floor_range_ms)) | $(value "rot.manual.$strategy.ratio") | ≤ 1.3 | $(meets "$(value "rot.manual.$strategy.ratio")" 1.3) |"
done
echo "| poller, $(value rot.poll_interval) | rolling | $(value rot.poller.rolling.median_ms) ms ($(value rot.poller.rolling.range_ms)) | $(value rot.poller.floor_median_ms) ms ($(value rot.poller.floor_range_ms)) | $(value rot.poller.rolling.ratio); without the interval $(value rot.poller.rolling.ratio_without_interval) | ≤ 1.3 × floor + $(value rot.poll_interval) = $(value rot.poller.rolling.goal_limit_ms) ms | $(meets "$(value rot.poller.rolling.median_ms)" "$(value rot.poller.rolling.goal_limit_ms)") |"
echo
echo "| Step (medians) | \`dso rotate\`, rolling | \`dso rotate\`, restart | poller, rolling |"
echo "|---|---|---|---|"
echo "| change → rotation record started | $(value rot.manual.rolling.to_record_start_ms) ms | $(value rot.manual.restart.to_record_start_ms) ms | $(value rot.poller.rolling.to_record_start_ms) ms |"
echo "| record started → new container created | $(value rot.manual.rolling.start_to_created_ms) ms | $(value rot.manual.restart.start_to_created_ms) ms | $(value rot.poller.rolling.start_to_created_ms) ms |"
echo "| created → started | $(value rot.manual.rolling.created_to_started_ms) ms | $(value rot.manual.restart.created_to_started_ms) ms | $(value rot.poller.rolling.created_to_started_ms) ms |"
echo "| started → healthy | $(value rot.manual.rolling.started_to_healthy_ms) ms | $(value rot.manual.restart.started_to_healthy_ms) ms | $(value rot.poller.rolling.started_to_healthy_ms) ms |"
echo
echo "## Agent idle cost"
echo
echo "Window $(value idle.window_s) s, poll interval $(value idle.poll_interval). $(value idle.creation_note)"
echo
echo "| Managed containers | VmRSS | VmHWM | RSS ratio to 0 | RSS per container | CPU per minute (CPU %), quiet | Container events in the quiet window (engine-wide) | CPU per minute with unrelated containers started and removed | Their events | First delivery | Load average |"
echo "|---|---|---|---|---|---|---|---|---|---|---|"
for count in $(awk -F '\t' '$1 ~ /^idle\.[0-9]+\.rss_mib$/ { split($1, part, "."); print part[2] }' "$results"); do
  per_container=$(value "idle.$count.rss_kib_per_container")
  echo "| $count | $(value "idle.$count.rss_mib") MiB | $(value "idle.$count.hwm_mib") MiB | $(value "idle.$count.rss_ratio") | ${per_container:-–}${per_container:+ KiB} | $(value "idle.$count.cpu_ms_per_min") ms ($(value "idle.$count.cpu_percent") %) | $(value "idle.$count.engine_events_in_window") | $(value "idle.$count.churn_cpu_ms_per_min") ms | $(value "idle.$count.churn_events_in_window") | $(value "idle.$count.first_delivery_s") s, $(value "idle.$count.first_delivery_cpu_ms") ms CPU | $(value "idle.$count.load_average") |"
done
if [ -n "$(value idle.replace.count)" ]; then
  echo
  echo "First delivery by replacement (containers without the mount): $(value idle.replace.count) containers in $(value idle.replace.first_delivery_s) s, $(value idle.replace.per_container_s) s per container."
fi
