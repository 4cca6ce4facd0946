#!/usr/bin/env bash
# Runs every test against a real Docker engine, the real dso executable and, for dso-agent.service, a real
# systemd in a container. Prints the totals as "N passed, N failed, N skipped" and exits non-zero when a
# test failed or none ran.
set -uo pipefail
cd "$(dirname "$0")/.."

bash scripts/ensure-docker.sh || exit 1
# The image of the agent's systemd test takes a debootstrap run (about 1-2 minutes) the first time. When it
# cannot be built, the other tests still run and that test fails with the reason.
bash scripts/systemd-image.sh || echo "==> Building dso-systemd:latest failed; the agent's systemd test will fail" >&2
bash scripts/build.sh || exit 1

results=out/test-results
rm -rf "$results"
export DSO_TEST_EXECUTABLE="$PWD/out/bin/dso"
dotnet test Dso.sln -c Debug --logger "trx" --results-directory "$results" -nologo
test_exit=$?

# Totals come from the TRX result files, one per test project.
read -r passed failed skipped < <(
  cat "$results"/*.trx 2>/dev/null | tr '\n' ' ' | grep -o '<Counters [^>]*>' |
    awk '{
      for (i = 1; i <= NF; i++) {
        split($i, pair, "=");
        gsub(/"|\/|>/, "", pair[2]);
        if (pair[1] == "passed") p += pair[2];
        if (pair[1] == "failed") f += pair[2];
        if (pair[1] == "notExecuted") s += pair[2];
        if (pair[1] == "error") f += pair[2];
        if (pair[1] == "timeout") f += pair[2];
        if (pair[1] == "aborted") f += pair[2];
      }
    } END { printf "%d %d %d\n", p, f, s }'
)

echo "${passed:-0} passed, ${failed:-0} failed, ${skipped:-0} skipped"
if [ "${failed:-0}" -gt 0 ] || [ "${passed:-0}" -eq 0 ] || [ "$test_exit" -ne 0 ]; then
  exit 1
fi
