#!/usr/bin/env bash
# Measures 'dso up -d' against 'docker-compose up -d' on a project of SERVICES services (image
# dso-busybox:latest, command sleep). In the dso project each service has one dso:// and one dsofile://
# secret. In the baseline project the same two values are written plainly into the environment. The goal is
# a ratio dso/compose of the medians of at most 1.10.
#
# Each round times one 'up -d' of each project, in an order that flips from round to round, and runs its
# 'down' outside the timing. One untimed round comes first; it also checks that the secrets reached a
# container. DSO_COMPOSE=docker-compose makes dso drive docker-compose (v1), so both sides run the same
# Compose. Every container and network the script creates belongs to a project named dsobench-up-*, and
# they are removed on exit, also after a failure.
#
# It also times dso's own work before Compose starts (reading the project, opening the vault, asking the
# engine for each image's user, writing the secret files and the override file), by running 'dso up' with
# DSO_COMPOSE=true so that the program 'true' stands in for Compose.
#
# Settings (environment): ROUNDS (8), SERVICES (10), DSO_BIN (out/bin/dso).
set -euo pipefail
source "$(dirname "$0")/lib.sh"

rounds=${ROUNDS:-8}
services=${SERVICES:-10}
dso_project=dsobench-up-dso
plain_project=dsobench-up-plain

require_dso
require_tools docker docker-compose
docker version >/dev/null 2>&1 || fail "the Docker engine does not answer; run: bash scripts/ensure-docker.sh"
docker image inspect dso-busybox:latest >/dev/null 2>&1 || fail "the image dso-busybox:latest is missing; run: bash scripts/ensure-docker.sh"

work=$(mktemp -d /tmp/dsobench-up-XXXXXX)
runtime=$(mktemp -d /dev/shm/dsobench-up-XXXXXX)
export DSO_HOME="$work/home"
export DSO_RUNTIME_DIR="$runtime/secrets"
export DSO_COMPOSE=docker-compose

# Removes what a project left: compose's own down first, then any container or network still labelled
# with the project name.
remove_project() {
  local project=$1 directory=$2
  if [ "$project" = "$dso_project" ]; then
    (cd "$directory" && "$dso" down -p "$project" -t 0) >>"$work/down.log" 2>&1 || true
  else
    (cd "$directory" && docker-compose -p "$project" down -t 0) >>"$work/down.log" 2>&1 || true
  fi
  local containers networks
  containers=$(docker ps -aq --filter "label=com.docker.compose.project=$project" 2>/dev/null || true)
  [ -z "$containers" ] || docker rm -f $containers >/dev/null 2>&1 || true
  networks=$(docker network ls -q --filter "label=com.docker.compose.project=$project" 2>/dev/null || true)
  [ -z "$networks" ] || docker network rm $networks >/dev/null 2>&1 || true
}

cleanup() {
  remove_project "$dso_project" "$work/dso"
  remove_project "$plain_project" "$work/plain"
  rm -rf "$work" "$runtime"
}
trap cleanup EXIT

"$dso" bootstrap local >/dev/null 2>&1 || fail "dso bootstrap local failed in $DSO_HOME"

# Writes both compose files and the .env file the vault is filled from.
mkdir -p "$work/dso" "$work/plain"
{
  echo 'version: "3.8"'
  echo 'services:'
} | tee "$work/dso/docker-compose.yml" >"$work/plain/docker-compose.yml"
: >"$work/secrets.env"
for i in $(seq -w 1 "$services"); do
  api_key="api-key-$i-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
  db_password="db-password-$i-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
  printf 'SVC%s_API_KEY=%s\nSVC%s_DB_PASSWORD=%s\n' "$i" "$api_key" "$i" "$db_password" >>"$work/secrets.env"
  service_head="  svc$i:
    image: dso-busybox:latest
    command: [\"sleep\", \"2147483647\"]
    environment:"
  printf '%s\n      API_KEY: "dso://dsobench/SVC%s_API_KEY"\n      DB_PASSWORD_FILE: "dsofile://dsobench/SVC%s_DB_PASSWORD"\n' \
    "$service_head" "$i" "$i" >>"$work/dso/docker-compose.yml"
  printf '%s\n      API_KEY: "%s"\n      DB_PASSWORD: "%s"\n' "$service_head" "$api_key" "$db_password" >>"$work/plain/docker-compose.yml"
done
"$dso" secret import --prefix dsobench/ "$work/secrets.env" >/dev/null || fail "dso secret import failed"

# Runs 'up -d' of one project and prints the elapsed milliseconds. On a failure it prints the log and exits.
time_up() {
  local project=$1 start elapsed status=0
  start=$(now_ns)
  if [ "$project" = "$dso_project" ]; then
    (cd "$work/dso" && "$dso" up -p "$project" -d) >"$work/up.log" 2>&1 || status=$?
  else
    (cd "$work/plain" && docker-compose -p "$project" up -d) >"$work/up.log" 2>&1 || status=$?
  fi
  elapsed=$(( ($(now_ns) - start) / 1000000 ))
  if [ "$status" -ne 0 ]; then
    cat "$work/up.log" >&2
    fail "'up -d' of project $project failed with exit code $status"
  fi
  running=$(docker ps -q --filter "label=com.docker.compose.project=$project" --filter status=running | wc -l)
  [ "$running" -eq "$services" ] || fail "project $project has $running running containers after 'up -d', expected $services"
  echo "$elapsed"
}

# Checks inside the first service's container that both secrets arrived as stored.
check_secrets() {
  local container expected_key expected_password
  container=$(docker ps -q --filter "label=com.docker.compose.project=$dso_project" --filter "label=com.docker.compose.service=svc$(printf '%0*d' ${#services} 1)")
  expected_key=$(awk -F '=' '/^SVC[0-9]+_API_KEY=/ { print $2; exit }' "$work/secrets.env")
  expected_password=$(awk -F '=' '/^SVC[0-9]+_DB_PASSWORD=/ { print $2; exit }' "$work/secrets.env")
  [ "$(docker exec "$container" sh -c 'printf %s "$API_KEY"')" = "$expected_key" ] \
    || fail "the dso:// secret did not reach the container as stored"
  [ "$(docker exec "$container" sh -c 'cat "$DB_PASSWORD_FILE"')" = "$expected_password" ] \
    || fail "the dsofile:// secret did not reach the container as stored"
}

log "Untimed round: both projects up and down once, and a check of the secrets in one container"
time_up "$dso_project" >/dev/null
check_secrets
remove_project "$dso_project" "$work/dso"
time_up "$plain_project" >/dev/null
remove_project "$plain_project" "$work/plain"

: >"$work/dso.ms"
: >"$work/plain.ms"
for round in $(seq 1 "$rounds"); do
  if (( round % 2 )); then
    order=("$dso_project" "$plain_project")
  else
    order=("$plain_project" "$dso_project")
  fi
  line="round $round:"
  for project in "${order[@]}"; do
    elapsed=$(time_up "$project")
    if [ "$project" = "$dso_project" ]; then
      echo "$elapsed" >>"$work/dso.ms"
      line="$line dso up ${elapsed} ms,"
      remove_project "$project" "$work/dso"
    else
      echo "$elapsed" >>"$work/plain.ms"
      line="$line docker-compose up ${elapsed} ms,"
      remove_project "$project" "$work/plain"
    fi
  done
  log "${line%,}"
done

log "Timing dso's own work: 'dso up' with the program 'true' in place of Compose, 10 runs"
: >"$work/own.ms"
for _ in $(seq 1 10); do
  start=$(now_ns)
  (cd "$work/dso" && DSO_COMPOSE=true "$dso" up -p "$dso_project" -d) >"$work/up.log" 2>&1 \
    || { cat "$work/up.log" >&2; fail "'dso up' with DSO_COMPOSE=true failed"; }
  echo $(( ($(now_ns) - start) / 1000000 )) >>"$work/own.ms"
done
remove_project "$dso_project" "$work/dso"

dso_ms=$(median <"$work/dso.ms")
plain_ms=$(median <"$work/plain.ms")
read -r dso_min dso_max < <(min_max <"$work/dso.ms")
read -r plain_min plain_max < <(min_max <"$work/plain.ms")

echo
echo "up -d of $services services, $rounds rounds: dso (dso:// + dsofile:// per service) vs docker-compose (plain values)"
result "up.services" "$services"
result "up.rounds" "$rounds"
result "up.dso_median_ms" "$(fmt "$dso_ms" 0)"
result "up.dso_range_ms" "$dso_min-$dso_max"
result "up.compose_median_ms" "$(fmt "$plain_ms" 0)"
result "up.compose_range_ms" "$plain_min-$plain_max"
result "up.ratio" "$(ratio "$dso_ms" "$plain_ms")"
result "up.dso_own_work_median_ms" "$(median <"$work/own.ms")"
