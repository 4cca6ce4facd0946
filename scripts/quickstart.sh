#!/usr/bin/env bash
# The main job on the built-in example: build dso, create a throwaway vault, store two secrets, run
# examples/quickstart with 'dso up', show from inside the containers that both secrets arrived and that
# 'docker inspect' does not contain the file secret, then 'dso down'.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)

bash scripts/ensure-docker.sh
bash scripts/build.sh
dso="$repo/out/bin/dso"

# A throwaway dso home, so that the example never touches a real ~/.dso.
export DSO_HOME
DSO_HOME=$(mktemp -d /tmp/dso-quickstart-XXXXXX)/home
cleanup() {
  (cd "$repo/examples/quickstart" && "$dso" down >/dev/null 2>&1) || true
  rm -rf "$(dirname "$DSO_HOME")"
}
trap cleanup EXIT

step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }

step "dso bootstrap local (vault in $DSO_HOME)"
"$dso" bootstrap local

step "Storing two secrets (values come from stdin, never from the command line)"
db_password="db-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
api_key="pk_live_$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
printf '%s' "$db_password" | "$dso" secret set quickstart/db_password
printf '%s' "$api_key" | "$dso" secret set quickstart/payment_api_key
"$dso" secret list

step "dso up -d --build in examples/quickstart"
cd examples/quickstart
"$dso" up -d --build

project=quickstart
for _ in $(seq 1 30); do
  running=$(docker ps -q --filter "label=com.docker.compose.project=$project" --filter status=running | wc -l)
  [ "$running" -ge 2 ] && break
  sleep 1
done
api=$(docker ps -q --filter "label=com.docker.compose.project=$project" --filter "label=com.docker.compose.service=api")
db=$(docker ps -q --filter "label=com.docker.compose.project=$project" --filter "label=com.docker.compose.service=db")

step "Evidence from inside the containers"
expected_file=$(printf '%s' "$db_password" | sha256sum | cut -c1-16)
expected_env=$(printf '%s' "$api_key" | sha256sum | cut -c1-16)
in_db=$(docker exec "$db" sh -c 'sha256sum < "$DB_PASSWORD_FILE"' | cut -c1-16)
in_api_file=$(docker exec "$api" sh -c 'sha256sum < "$DB_PASSWORD_FILE"' | cut -c1-16)
in_api_env=$(docker exec "$api" sh -c 'printf %s "$PAYMENT_API_KEY" | sha256sum' | cut -c1-16)
docker exec "$db" sh -c 'echo "db:  DB_PASSWORD_FILE=$DB_PASSWORD_FILE"; ls -ln "$DB_PASSWORD_FILE"'
docker exec "$api" sh -c 'echo "api: PAYMENT_API_KEY is set ($(printf %s "$PAYMENT_API_KEY" | wc -c) bytes)"'
echo "sha256 prefixes: stored file secret $expected_file, db sees $in_db, api sees $in_api_file"
echo "sha256 prefixes: stored env secret  $expected_env, api sees $in_api_env"
echo "api status page: $(docker exec "$api" wget -qO- http://127.0.0.1:8080/)"
docker logs "$db" 2>&1 | tail -n 1

ok=1
[ "$in_db" = "$expected_file" ] && [ "$in_api_file" = "$expected_file" ] || { echo "FAIL: the file secret did not arrive intact"; ok=0; }
[ "$in_api_env" = "$expected_env" ] || { echo "FAIL: the environment secret did not arrive intact"; ok=0; }

step "docker inspect contains no file secret"
if docker inspect "$api" "$db" | grep -qF "$db_password"; then
  echo "FAIL: docker inspect shows the file secret"; ok=0
else
  echo "docker inspect of both containers: the file secret's value appears 0 times"
fi

step "dso down"
"$dso" down
[ -z "$(docker ps -aq --filter "label=com.docker.compose.project=$project")" ] && echo "no container of project $project is left"

if [ "$ok" = 1 ]; then
  step "Quickstart passed: both secrets reached their containers"
else
  step "Quickstart FAILED"
  exit 1
fi
