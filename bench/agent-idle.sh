#!/usr/bin/env bash
# Measures the idle cost of the dso agent with 0, 200 and 1,000 managed containers. Memory is VmRSS and
# the peak VmHWM from /proc/PID/status. CPU is utime + stime from /proc/PID/stat over a window of WINDOW_S
# seconds in which nothing of the agent's changes. The 0-container run is the baseline, so the result
# shows the cost per managed container.
#
# The managed containers are busybox 'sleep' containers labelled dso.test=RUN-idle, which the one secret of
# dso.yaml targets. Each is started with the agent's secret directory already bind-mounted (the host
# directory layout of AgentSecretFiles: DSO_RUNTIME_DIR/agent.d/TARGET/g0/DIRECTORY, escaped), so the
# agent's first delivery writes one file per container instead of replacing every container. Each count
# gets a fresh agent process with an empty journal; the window starts after 'dso status --json' shows the
# secret applied to every target, and the time until then is reported as the first delivery.
#
# REPLACE_COUNT more containers (20) are then started without the mount, and a fresh agent delivers to them
# by replacing each one (strategy rolling, one at a time), to show what a first delivery costs per container
# on that path.
#
# Containers are created PARALLEL at a time (4). Creation stops early when MemAvailable drops below
# MIN_AVAILABLE_MIB (2048), and the script then measures the count it reached and says so. Every container
# carries the label dsobench.run=RUN and is removed on exit, also after a failure.
#
# After the quiet window, a second window of the same length runs while a loop starts and removes one
# container that no secret targets, then sleeps CHURN_INTERVAL_S seconds: the activity of other programs on
# a shared engine. Each of its container events may make the agent list every container again.
#
# Settings (environment): COUNTS ("0 200 1000"), WINDOW_S (60), POLL_INTERVAL (30s, the agent's default),
# PARALLEL (4), MIN_AVAILABLE_MIB (2048), REPLACE_COUNT (20, 0 skips it), CHURN_INTERVAL_S (1, 0 skips the
# second window), DSO_BIN (out/bin/dso).
set -euo pipefail
source "$(dirname "$0")/lib.sh"

counts=${COUNTS:-0 200 1000}
window_s=${WINDOW_S:-60}
poll_interval=${POLL_INTERVAL:-30s}
parallel=${PARALLEL:-4}
min_available_mib=${MIN_AVAILABLE_MIB:-2048}
replace_count=${REPLACE_COUNT:-20}
churn_interval_s=${CHURN_INTERVAL_S:-1}
image=dso-busybox:latest
run="idle-$$-$(head -c 3 /dev/urandom | od -An -tx1 | tr -d ' \n')"
clock_ticks=$(getconf CLK_TCK)
# Waits give up after this many seconds, so that a stuck agent cannot hang the script.
delivery_limit_s=${DELIVERY_LIMIT_S:-900}

require_dso
require_tools docker jq xargs getconf
docker version >/dev/null 2>&1 || fail "the Docker engine does not answer; run: bash scripts/ensure-docker.sh"
docker image inspect "$image" >/dev/null 2>&1 || fail "the image $image is missing; run: bash scripts/ensure-docker.sh"

work=$(mktemp -d /tmp/dsobench-idle-XXXXXX)
runtime=$(mktemp -d /dev/shm/dsobench-idle-XXXXXX)
export DSO_HOME="$work/home"
export DSO_RUNTIME_DIR="$runtime/secrets"
export DSO_SOCKET="$work/dso.sock"
export DSO_ETC_DIR="$work/etc"
agent_pid=

stop_agent() {
  if [ -n "$agent_pid" ]; then
    kill -TERM "$agent_pid" 2>/dev/null || true
    wait "$agent_pid" 2>/dev/null || true
    agent_pid=
  fi
}

# Removes the containers in batches, because one 'docker rm' of 1,000 ids takes long on a small machine.
remove_containers() {
  docker ps -aq --filter "label=dsobench.run=$run" 2>/dev/null | xargs -r -n 50 -P "$parallel" docker rm -f >/dev/null 2>&1 || true
}

cleanup() {
  stop_churn
  stop_agent
  remove_containers
  rm -rf "$work" "$runtime"
}
trap cleanup EXIT

"$dso" bootstrap local >/dev/null 2>&1 || fail "dso bootstrap local failed in $DSO_HOME"
printf "idle-value" | "$dso" secret set idle_x >/dev/null 2>&1
cat >"$work/dso.yaml" <<EOF
mode: agent
providers:
  host:
    type: local
    vault_path: $DSO_HOME/vault.enc
agent:
  poll_interval: $poll_interval
  api:
    address: 127.0.0.1:$(( 20000 + RANDOM % 20000 ))
secrets:
  idle_x:
    provider: host
    path: idle_x
    targets:
      labels:
        dso.test: "$run-idle"
    rotation:
      strategy: rolling
EOF

available_mib() { awk '/^MemAvailable:/ { print int($2 / 1024) }' /proc/meminfo; }

# Starts managed container number INDEX with the secret directory mounted (premount=1) or not (premount=0).
# Runs in xargs, so it gets everything from its arguments and the environment.
export image run
start_container() {
  local name="dsob-$run-$(printf '%04d' "$1")" premount=$2 mount=()
  if [ "$premount" = 1 ]; then
    # agent.d/<"container:NAME" escaped>/g0/<"/run/secrets/dso" escaped>
    local directory="$DSO_RUNTIME_DIR/agent.d/container_3a$name/g0/_2frun_2fsecrets_2fdso"
    mkdir -p "$directory"
    mount=(--volume "$directory:/run/secrets/dso:ro")
  fi
  # --network none: a Linux bridge such as docker0 takes at most 1,024 ports, so 1,000 containers on it
  # fail with "exchange full" as soon as a few other containers use it too.
  docker run --detach --name "$name" --label "dsobench.run=$run" --label "dso.test=$run-idle" --stop-timeout 1 \
    --network none "${mount[@]}" "$image" sleep 2147483647 >/dev/null
}
export -f start_container

created=0
creation_note=

# Starts containers until COUNT exist, PARALLEL at a time in batches of 50, and stops early when memory runs low.
grow_to() {
  local count=$1 next batch_end start
  start=$(now_ns)
  while [ "$created" -lt "$count" ]; do
    if [ "$(available_mib)" -lt "$min_available_mib" ]; then
      creation_note="stopped at $created containers: MemAvailable $(available_mib) MiB is below $min_available_mib MiB"
      log "$creation_note"
      return 0
    fi
    next=$((created + 1))
    batch_end=$((created + 50 < count ? created + 50 : count))
    if ! seq "$next" "$batch_end" | xargs -P "$parallel" -I '{}' bash -c 'start_container {} 1' 2>"$work/create.err"; then
      created=$(docker ps -q --filter "label=dsobench.run=$run" | wc -l)
      creation_note="stopped at $created running containers: docker run failed: $(sort -u "$work/create.err" | head -n 3 | tr '\n' ' ')"
      log "$creation_note"
      return 0
    fi
    created=$batch_end
  done
  log "$created containers running (this step: $(( ($(now_ns) - start) / 1000000000 )) s; MemAvailable $(available_mib) MiB; tasks $(cut -d ' ' -f 4 /proc/loadavg))"
}

# Prints the agent's CPU time (utime + stime) in milliseconds.
cpu_ms() { awk -v hz="$clock_ticks" '{ sub(/^.*\) /, ""); print int(($12 + $13) * 1000 / hz) }' "/proc/$agent_pid/stat"; }

# Prints a field of /proc/PID/status in KiB: status_kib VmRSS.
status_kib() { awk -v key="$1:" '$1 == key { print $2 }' "/proc/$agent_pid/status"; }

# Starts a fresh agent (empty journal) and waits until every one of COUNT targets has the secret applied;
# sets delivery_s to the seconds that took. Not for $(...), because it sets agent_pid.
start_and_deliver() {
  local count=$1 label=$2 start deadline applied=0
  export DSO_STATE_DIR="$work/state-$label" DSO_LOCK_DIR="$work/locks-$label"
  start=$(now_ns)
  "$dso" --config "$work/dso.yaml" agent >>"$work/agent-$label.log" 2>&1 &
  agent_pid=$!
  deadline=$(( $(date +%s) + delivery_limit_s ))
  while :; do
    kill -0 "$agent_pid" 2>/dev/null || { tail -n 30 "$work/agent-$label.log" >&2; fail "the agent exited"; }
    if "$dso" status --json >"$work/status.json" 2>/dev/null; then
      applied=$(jq '[.targets[] | select(.applied.idle_x != null)] | length' "$work/status.json")
      [ "$applied" -lt "$count" ] || break
    fi
    [ "$(date +%s)" -lt "$deadline" ] \
      || { tail -n 30 "$work/agent-$label.log" >&2; fail "after $delivery_limit_s s only $applied of $count targets have the secret applied"; }
    sleep 1
  done
  delivery_s=$(awk -v ns="$(( $(now_ns) - start ))" 'BEGIN { printf "%.1f\n", ns / 1e9 }')
}

# Measures the agent's CPU over WINDOW_S seconds and sets window_cpu (ms per minute). It also sets
# window_events: the engine-wide container events in the window, from any client, each of which may wake the agent.
measure_window() {
  local start cpu_before cpu_after
  start=$(date +%s)
  cpu_before=$(cpu_ms)
  sleep "$window_s"
  cpu_after=$(cpu_ms)
  window_cpu=$(awk -v c="$((cpu_after - cpu_before))" -v w="$window_s" 'BEGIN { printf "%.0f", c * 60 / w }')
  window_events=$(docker events --since "$start" --until "$(date +%s)" --filter type=container --format '{{.Action}}' | wc -l)
}

churn_pid=

# Starts, in the background, a loop that runs and removes one container that no secret targets (no dso.test
# label), then waits CHURN_INTERVAL_S seconds: the container activity of other programs on a shared engine.
start_churn() {
  (
    i=0
    while :; do
      i=$((i + 1))
      docker run --rm --name "dsob-$run-churn-$i" --label "dsobench.run=$run" --network none "$image" true >/dev/null 2>&1 || true
      sleep "$churn_interval_s"
    done
  ) &
  churn_pid=$!
}

stop_churn() {
  if [ -n "$churn_pid" ]; then
    kill "$churn_pid" 2>/dev/null || true
    wait "$churn_pid" 2>/dev/null || true
    churn_pid=
  fi
}

: >"$work/levels"
for count in $counts; do
  grow_to "$count"
  count=$created
  start_and_deliver "$count" "$count"
  delivery_cpu_ms=$(cpu_ms)
  sleep 5
  log "$count managed containers: first delivery took $delivery_s s ($delivery_cpu_ms ms CPU since start); measuring $window_s s idle (load average $(cut -d ' ' -f 1-3 /proc/loadavg))"
  measure_window
  rss_kib=$(status_kib VmRSS)
  hwm_kib=$(status_kib VmHWM)
  threads=$(status_kib Threads)
  quiet="$window_cpu $window_events"
  load=$(cut -d ' ' -f 1-3 /proc/loadavg)
  churn="- -"
  if [ "$churn_interval_s" != 0 ]; then
    log "$count managed: measuring $window_s s while an unrelated container is started and removed every $churn_interval_s s"
    start_churn
    measure_window
    stop_churn
    churn="$window_cpu $window_events"
  fi
  stop_agent
  echo "$count $rss_kib $hwm_kib $quiet $churn $delivery_s $delivery_cpu_ms $threads $load" >>"$work/levels"
  log "$count managed: VmRSS $rss_kib KiB, VmHWM $hwm_kib KiB, $threads threads; CPU ms per minute and engine-wide container events: quiet $quiet, with unrelated containers $churn"
done

replace_s=
if [ "$replace_count" -gt 0 ]; then
  # The replacement path: containers without the mount. The premounted ones go first, so only these are managed.
  remove_containers
  log "Replacement path: $replace_count containers without the secret mount"
  first=$((created + 1))
  seq "$first" "$((created + replace_count))" | xargs -P "$parallel" -I '{}' bash -c 'start_container {} 0'
  start_and_deliver "$replace_count" replace
  replace_s=$delivery_s
  replaced=$(jq '[.rotations[] | select(.step == "Completed")] | length' "$DSO_STATE_DIR/rotations.json")
  stop_agent
  [ "$replaced" -eq "$replace_count" ] || fail "the agent completed $replaced rotations for $replace_count containers without the mount"
fi

baseline_rss=$(awk 'NR == 1 { print $2 }' "$work/levels")
baseline_cpu=$(awk 'NR == 1 { print $4 }' "$work/levels")
echo
echo "Agent idle cost, window $window_s s, poll interval $poll_interval"
result "idle.window_s" "$window_s"
result "idle.poll_interval" "$poll_interval"
[ -z "$creation_note" ] || result "idle.creation_note" "$creation_note"
while read -r count rss hwm cpu events churn_cpu churn_events delivery delivery_cpu threads load1 load5 load15; do
  result "idle.$count.rss_mib" "$(fmt "$(awk -v k="$rss" 'BEGIN { print k / 1024 }')" 1)"
  result "idle.$count.hwm_mib" "$(fmt "$(awk -v k="$hwm" 'BEGIN { print k / 1024 }')" 1)"
  result "idle.$count.cpu_ms_per_min" "$cpu"
  result "idle.$count.cpu_percent" "$(awk -v c="$cpu" 'BEGIN { printf "%.3f", c / 600 }')"
  result "idle.$count.rss_ratio" "$(ratio "$rss" "$baseline_rss")"
  if [ "$count" -gt 0 ]; then
    result "idle.$count.rss_kib_per_container" "$(awk -v r="$rss" -v b="$baseline_rss" -v n="$count" 'BEGIN { printf "%.1f", (r - b) / n }')"
    result "idle.$count.cpu_ms_per_min_over_baseline" "$((cpu - baseline_cpu))"
  fi
  result "idle.$count.engine_events_in_window" "$events"
  if [ "$churn_cpu" != - ]; then
    result "idle.$count.churn_cpu_ms_per_min" "$churn_cpu"
    result "idle.$count.churn_events_in_window" "$churn_events"
  fi
  result "idle.$count.first_delivery_s" "$delivery"
  result "idle.$count.first_delivery_cpu_ms" "$delivery_cpu"
  result "idle.$count.threads" "$threads"
  result "idle.$count.load_average" "$load1 $load5 $load15"
done <"$work/levels"
if [ -n "$replace_s" ]; then
  result "idle.replace.count" "$replace_count"
  result "idle.replace.first_delivery_s" "$replace_s"
  result "idle.replace.per_container_s" "$(awk -v s="$replace_s" -v n="$replace_count" 'BEGIN { printf "%.2f", s / n }')"
fi
