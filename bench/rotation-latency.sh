#!/usr/bin/env bash
# Measures the agent's rotation latency: from a secret change to the new container reported healthy. The
# floor is what the same container costs without dso: 'docker create' + 'docker start' of the same image,
# command, bind mount and HEALTHCHECK, then 'docker inspect' in a loop until the health status is healthy.
# The goal is a ratio dso/floor of the medians of at most 1.3, plus the detection interval when the poller
# finds the change.
#
# A rotation's latency ends at the Healthy step of its record in the agent's journal (rotations.json, the
# "at" time of "Healthy" in "history"), read with jq. The steps after it (rename, stop and removal of the
# old container) are not counted: the new container serves from that point on. The managed containers stop
# within 0.2 s (a TERM trap, and --stop-timeout 1 as a bound), so that the restart strategy, which stops the
# old container before it creates the new one, is not dominated by the stop.
#
# Two phases, each with its own agent and its own floor runs, interleaved round by round in an order that
# flips from round to round:
#   manual: poll_interval 1h, so that only 'dso rotate SECRET' starts a rotation. Each round runs
#           'dso secret set' then 'dso rotate SECRET --json', and times from just before 'dso secret set'.
#           Both the rolling strategy and the restart strategy are measured (one secret and container each).
#   poller: poll_interval POLL_INTERVAL (2s), debounce 0s (the least the config loader accepts) and
#           cooldown 0s. Each round runs 'dso secret set' and waits for the rotation the poller starts.
#           The latency then includes the wait for the next poll, between 0 and POLL_INTERVAL. Before each
#           change the script sleeps a random part of POLL_INTERVAL, untimed, so that the changes fall at
#           random points of the poll cycle.
#
# Every container carries the label dsobench.run=RUN and is removed on exit, also after a failure; the
# dso home, state, locks and socket live under /tmp and the secret files under /dev/shm, removed too.
#
# Settings (environment): ROUNDS (10), POLL_INTERVAL (2s, a dso duration), DSO_BIN (out/bin/dso).
set -euo pipefail
source "$(dirname "$0")/lib.sh"

rounds=${ROUNDS:-10}
poll_interval=${POLL_INTERVAL:-2s}
image=dso-busybox:latest
run="rot-$$-$(head -c 3 /dev/urandom | od -An -tx1 | tr -d ' \n')"
# Each wait below gives up after this many seconds, so that a stuck agent cannot hang the script.
wait_limit_s=60

require_dso
require_tools docker jq
docker version >/dev/null 2>&1 || fail "the Docker engine does not answer; run: bash scripts/ensure-docker.sh"
docker image inspect "$image" >/dev/null 2>&1 || fail "the image $image is missing; run: bash scripts/ensure-docker.sh"

work=$(mktemp -d /tmp/dsobench-rot-XXXXXX)
runtime=$(mktemp -d /dev/shm/dsobench-rot-XXXXXX)
export DSO_HOME="$work/home"
export DSO_STATE_DIR="$work/state"
export DSO_LOCK_DIR="$work/locks"
export DSO_RUNTIME_DIR="$runtime/secrets"
export DSO_SOCKET="$work/dso.sock"
export DSO_ETC_DIR="$work/etc"
journal="$DSO_STATE_DIR/rotations.json"
agent_pid=

stop_agent() {
  if [ -n "$agent_pid" ]; then
    kill -TERM "$agent_pid" 2>/dev/null || true
    wait "$agent_pid" 2>/dev/null || true
    agent_pid=
  fi
}

cleanup() {
  stop_agent
  local containers
  containers=$(docker ps -aq --filter "label=dsobench.run=$run" 2>/dev/null || true)
  [ -z "$containers" ] || docker rm -f $containers >/dev/null 2>&1 || true
  rm -rf "$work" "$runtime"
}
trap cleanup EXIT

"$dso" bootstrap local >/dev/null 2>&1 || fail "dso bootstrap local failed in $DSO_HOME"
printf 'value-0' | "$dso" secret set x_rolling >/dev/null 2>&1
printf 'value-0' | "$dso" secret set x_restart >/dev/null 2>&1

# The container command: a loop that exits at once on SIGTERM (busybox sh runs the trap after the current
# 'sleep 0.2').
command='trap "exit 0" TERM; while :; do sleep 0.2; done'
health_options=(--health-interval 1s --health-timeout 1s --health-retries 3)

# Writes dso.yaml for one phase: write_config POLL_INTERVAL.
write_config() {
  local secrets=
  for strategy in rolling restart; do
    secrets="$secrets  x_$strategy:
    provider: host
    path: x_$strategy
    targets:
      labels:
        dso.test: \"$run-$strategy\"
    rotation:
      strategy: $strategy
      debounce: 0s
      cooldown: 0s
      health_timeout: 30s
"
  done
  cat >"$work/dso.yaml" <<EOF
mode: agent
providers:
  host:
    type: local
    vault_path: $DSO_HOME/vault.enc
agent:
  poll_interval: $1
  api:
    address: 127.0.0.1:$(( 20000 + RANDOM % 20000 ))
secrets:
$secrets
EOF
}

# Starts the agent in the background and waits until 'dso status' gets a response from it.
start_agent() {
  "$dso" --config "$work/dso.yaml" agent >>"$work/agent.log" 2>&1 &
  agent_pid=$!
  local deadline=$(( $(date +%s) + wait_limit_s ))
  until "$dso" status --json >/dev/null 2>&1; do
    kill -0 "$agent_pid" 2>/dev/null || { tail -n 30 "$work/agent.log" >&2; fail "the agent exited during start-up"; }
    [ "$(date +%s)" -lt "$deadline" ] || { tail -n 30 "$work/agent.log" >&2; fail "the agent did not respond to 'dso status' within $wait_limit_s s; see its log above"; }
    sleep 0.2
  done
}

# Prints the id of the newest journal record of a target, or nothing: last_rotation TARGET.
last_rotation() {
  [ -f "$journal" ] || return 0
  jq -r --arg target "$1" '[.rotations[] | select(.target == $target)] | last | .id // empty' "$journal"
}

# Waits until the record ID reaches Completed and prints it as JSON; fails on Failed or RolledBack.
wait_completed() {
  local id=$1 deadline=$(( $(date +%s) + wait_limit_s )) record step
  while :; do
    record=$(jq -c --arg id "$id" '.rotations[] | select(.id == $id)' "$journal")
    step=$(jq -r '.step' <<<"$record")
    case $step in
      Completed) printf '%s\n' "$record"; return 0 ;;
      Failed | RolledBack) tail -n 30 "$work/agent.log" >&2; fail "rotation $id ended at step $step: $(jq -r '.error' <<<"$record")" ;;
    esac
    [ "$(date +%s)" -lt "$deadline" ] || fail "rotation $id did not complete within $wait_limit_s s (step $step)"
    sleep 0.1
  done
}

# Waits until the poller has started a rotation of TARGET newer than PREVIOUS and prints its id.
wait_new_rotation() {
  local target=$1 previous=$2 deadline=$(( $(date +%s) + wait_limit_s )) id
  while :; do
    id=$(last_rotation "$target")
    if [ -n "$id" ] && [ "$id" != "$previous" ]; then
      printf '%s\n' "$id"
      return 0
    fi
    [ "$(date +%s)" -lt "$deadline" ] || { tail -n 30 "$work/agent.log" >&2; fail "the poller started no rotation of $target within $wait_limit_s s"; }
    sleep 0.05
  done
}

# Prints a journal time (ISO 8601) in nanoseconds since the epoch.
iso_ns() { date -d "$1" +%s%N; }

# Prints "LATENCY_MS DETECT_MS CREATED_MS STARTED_MS HEALTHY_MS" of a completed record, measured from T0_NS:
# latency to Healthy, then the record's start and each step, each relative to the previous point.
describe_record() {
  local record=$1 t0=$2 began created started healthy
  began=$(iso_ns "$(jq -r '.started_at' <<<"$record")")
  created=$(iso_ns "$(jq -r '.history[] | select(.step == "NewContainerCreated") | .at' <<<"$record")")
  started=$(iso_ns "$(jq -r '.history[] | select(.step == "Started") | .at' <<<"$record")")
  healthy=$(iso_ns "$(jq -r '.history[] | select(.step == "Healthy") | .at' <<<"$record")")
  echo $(( (healthy - t0) / 1000000 )) $(( (began - t0) / 1000000 )) $(( (created - began) / 1000000 )) \
    $(( (started - created) / 1000000 )) $(( (healthy - started) / 1000000 ))
}

# Starts the managed container of a strategy, without the secret mount: the agent's first delivery replaces it.
run_managed() {
  local strategy=$1
  docker run --detach --name "dsob-$run-$strategy" --label "dsobench.run=$run" --label "dso.test=$run-$strategy" \
    --stop-timeout 1 --health-cmd "test -f /run/secrets/dso/x_$strategy" "${health_options[@]}" \
    "$image" sh -c "$command" >/dev/null
}

# Waits until the agent has delivered the first value to the container of a strategy (a completed rotation).
wait_first_delivery() {
  local target="container:dsob-$run-$1" deadline=$(( $(date +%s) + wait_limit_s )) id
  while :; do
    id=$(last_rotation "$target")
    if [ -n "$id" ] && [ "$(jq -r --arg id "$id" '.rotations[] | select(.id == $id) | .step' "$journal")" = Completed ]; then
      return 0
    fi
    [ "$(date +%s)" -lt "$deadline" ] || { tail -n 30 "$work/agent.log" >&2; fail "the first delivery to $target did not complete within $wait_limit_s s"; }
    sleep 0.2
  done
}

# The floor's secret directory: the same file the managed containers read, bind-mounted read-only.
floor_dir="$runtime/floor"
mkdir -p "$floor_dir"
printf 'value-0' >"$floor_dir/x_rolling"
floor_count=0

# Creates, starts and waits for the health of one container like the managed one; prints the milliseconds.
time_floor() {
  floor_count=$((floor_count + 1))
  local name="dsob-$run-floor-$floor_count" start elapsed status deadline
  start=$(now_ns)
  docker create --name "$name" --label "dsobench.run=$run" --stop-timeout 1 \
    --volume "$floor_dir:/run/secrets/dso:ro" --health-cmd "test -f /run/secrets/dso/x_rolling" "${health_options[@]}" \
    "$image" sh -c "$command" >/dev/null
  docker start "$name" >/dev/null
  deadline=$(( $(date +%s) + wait_limit_s ))
  until [ "$(docker inspect --format '{{.State.Health.Status}}' "$name")" = healthy ]; do
    [ "$(date +%s)" -lt "$deadline" ] || fail "the floor container $name was not healthy within $wait_limit_s s"
    sleep 0.05
  done
  elapsed=$(( ($(now_ns) - start) / 1000000 ))
  docker rm -f "$name" >/dev/null
  echo "$elapsed"
}

# Changes secret x_STRATEGY and, in the manual phase, requests its rotation; prints the record's timings.
time_rotation() {
  local strategy=$1 phase=$2 target="container:dsob-$run-$1" previous t0 id record
  previous=$(last_rotation "$target")
  if [ "$phase" = poller ]; then
    # An untimed pause of a random part of the poll interval, so that the change does not land at the same
    # point of the poll cycle in every round (the agent polls again right after each rotation).
    sleep "$(awk -v ms="$interval_ms" -v r="$RANDOM" 'BEGIN { printf "%.3f", ms * r / 32768 / 1000 }')"
  fi
  t0=$(now_ns)
  # A new value each time: the agent rotates nothing for a new version that contains the same value.
  printf 'value-%s' "$t0" | "$dso" secret set "x_$strategy" >/dev/null 2>&1
  if [ "$phase" = manual ]; then
    "$dso" rotate "x_$strategy" --json >"$work/rotate.json" \
      || { cat "$work/rotate.json" >&2; fail "dso rotate x_$strategy failed"; }
    id=$(jq -r '.rotations[0].rotation_id // empty' "$work/rotate.json")
    [ -n "$id" ] || { cat "$work/rotate.json" >&2; tail -n 30 "$work/agent.log" >&2; jq -c ".rotations[] | [.id, .target, .step]" "$journal" >&2; fail "dso rotate x_$strategy rotated nothing"; }
  else
    id=$(wait_new_rotation "$target" "$previous")
  fi
  record=$(wait_completed "$id")
  describe_record "$record" "$t0"
}

# Runs one phase: measure_phase PHASE POLL_INTERVAL STRATEGY...
measure_phase() {
  local phase=$1 interval=$2 round strategy elapsed line timings detect created started healthy
  shift 2
  write_config "$interval"
  start_agent
  for strategy in "$@"; do
    wait_first_delivery "$strategy"
  done
  log "phase $phase: the agent ($interval poll interval) has delivered the first values; $rounds rounds"
  : >"$work/$phase.floor.ms"
  for strategy in "$@"; do
    : >"$work/$phase.$strategy.ms"
  done
  for round in $(seq 1 "$rounds"); do
    local order=(floor "$@")
    if (( round % 2 == 0 )); then
      order=("$@" floor)
    fi
    line="round $round:"
    for strategy in "${order[@]}"; do
      if [ "$strategy" = floor ]; then
        elapsed=$(time_floor)
        echo "$elapsed" >>"$work/$phase.floor.ms"
        line="$line floor $elapsed ms,"
      else
        timings=$(time_rotation "$strategy" "$phase")
        read -r elapsed detect created started healthy <<<"$timings"
        echo "$elapsed $detect $created $started $healthy" >>"$work/$phase.$strategy.ms"
        line="$line $strategy $elapsed ms (start $detect, create $created, start $started, healthy $healthy),"
      fi
    done
    log "${line%,}"
  done
  stop_agent
}

# Prints the median of column COLUMN (1-based) of a file of space-separated numbers.
column_median() { awk -v c="$2" '{ print $c }' "$1" | median; }

[[ $poll_interval =~ ^[0-9]+s$ ]] || fail "POLL_INTERVAL must be whole seconds such as 2s, not $poll_interval"
interval_ms=$(( ${poll_interval%s} * 1000 ))
run_managed rolling
run_managed restart
log "Load average before: $(cut -d ' ' -f 1-3 /proc/loadavg)"
measure_phase manual 1h rolling restart
measure_phase poller "$poll_interval" rolling
log "Load average after: $(cut -d ' ' -f 1-3 /proc/loadavg)"

echo
echo "Rotation latency (secret change to new container healthy), $rounds rounds per phase"
result "rot.rounds" "$rounds"
result "rot.poll_interval" "$poll_interval"
for phase in manual poller; do
  floor_ms=$(median <"$work/$phase.floor.ms")
  read -r floor_min floor_max < <(min_max <"$work/$phase.floor.ms")
  result "rot.$phase.floor_median_ms" "$(fmt "$floor_ms" 0)"
  result "rot.$phase.floor_range_ms" "$floor_min-$floor_max"
  for file in "$work/$phase".*.ms; do
    strategy=$(basename "$file" .ms)
    strategy=${strategy#"$phase".}
    [ "$strategy" != floor ] || continue
    latency_ms=$(column_median "$file" 1)
    read -r latency_min latency_max < <(awk '{ print $1 }' "$file" | min_max)
    result "rot.$phase.$strategy.median_ms" "$(fmt "$latency_ms" 0)"
    result "rot.$phase.$strategy.range_ms" "$latency_min-$latency_max"
    result "rot.$phase.$strategy.ratio" "$(ratio "$latency_ms" "$floor_ms")"
    result "rot.$phase.$strategy.to_record_start_ms" "$(column_median "$file" 2)"
    result "rot.$phase.$strategy.start_to_created_ms" "$(column_median "$file" 3)"
    result "rot.$phase.$strategy.created_to_started_ms" "$(column_median "$file" 4)"
    result "rot.$phase.$strategy.started_to_healthy_ms" "$(column_median "$file" 5)"
    if [ "$phase" = poller ]; then
      # The goal allows the detection interval on top of 1.3 times the floor.
      result "rot.$phase.$strategy.ratio_without_interval" "$(ratio "$(awk -v l="$latency_ms" -v i="$interval_ms" 'BEGIN { print l - i }')" "$floor_ms")"
      result "rot.$phase.$strategy.goal_limit_ms" "$(awk -v f="$floor_ms" -v i="$interval_ms" 'BEGIN { printf "%.0f", 1.3 * f + i }')"
    fi
  done
done
