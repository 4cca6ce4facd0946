#!/usr/bin/env bash
# Measures one poll cycle of the agent's cloud providers (HashiCorp Vault, AWS Secrets Manager, Azure Key
# Vault) at 1,000 and 10,000 secrets each, against the fake servers of tests/Dso.Agent.Tests on 127.0.0.1.
# It counts the HTTP requests at each server and the wall and CPU time of each cycle. The baseline is the
# same number of plain HTTP GETs against a trivial local endpoint, sent in turn with the providers from the
# same process. Progress goes to standard error and the markdown tables to standard output.
#
# Settings (environment): SIZES (default 1000,10000), CYCLES (default 4), TIMEOUT_S (default 240).
# It needs only the .NET SDK: no Docker, no dso binary, and no network beyond 127.0.0.1.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

cd "$bench_root"
require_tools dotnet

output=$(mktemp -d /tmp/dsobench-provider-poll-XXXXXX)
trap 'rm -rf "$output"' EXIT

log "Building bench/providers (Release)"
dotnet build bench/providers/Dso.Bench.Providers.csproj -c Release -o "$output" -nologo -v quiet >&2

log "Polling the fake servers (sizes ${SIZES:-1000,10000}, ${CYCLES:-4} cycles)"
"$output/Dso.Bench.Providers" --sizes "${SIZES:-1000,10000}" --cycles "${CYCLES:-4}" --timeout-seconds "${TIMEOUT_S:-240}"
