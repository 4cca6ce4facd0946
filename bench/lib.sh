# Shared helpers for the bench/*.sh scripts; source it, do not run it.
# Every benchmark compares dso against a baseline measured in the same script, with the runs of both
# interleaved, because the machines these run on are small and noisy. A ratio survives noise that shifts
# both sides, but an absolute time does not.

# A failed command inside $(...) stops the script too, as it would outside.
shopt -s inherit_errexit

bench_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
dso="${DSO_BIN:-$bench_root/out/bin/dso}"

log() { printf '==> %s\n' "$*" >&2; }

fail() {
  printf 'bench: %s\n' "$*" >&2
  exit 1
}

require_dso() {
  [ -x "$dso" ] || fail "$dso is missing; build it with: bash scripts/build.sh"
}

require_tools() {
  local tool
  for tool in "$@"; do
    command -v "$tool" >/dev/null 2>&1 || fail "$tool is not on PATH; it is needed by this benchmark"
  done
}

# Prints the current time in nanoseconds.
now_ns() { date +%s%N; }

# Prints the median of the numbers on standard input, one per line.
median() {
  sort -g | awk '{ value[NR] = $1 } END {
    if (NR == 0) { print "nan"; exit }
    if (NR % 2) { print value[(NR + 1) / 2] } else { print (value[NR / 2] + value[NR / 2 + 1]) / 2 }
  }'
}

# Prints the minimum and maximum of the numbers on standard input as "MIN MAX".
min_max() { sort -g | awk 'NR == 1 { min = $1 } { max = $1 } END { print min, max }'; }

# Prints NUMERATOR / DENOMINATOR with two decimals.
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f\n", a / b }'; }

# Prints a number with the given count of decimals: fmt VALUE DECIMALS.
fmt() { awk -v v="$1" -v d="$2" 'BEGIN { printf "%.*f\n", d, v }'; }

# Records one result line "KEY<TAB>VALUE" in $BENCH_RESULTS (when set, for run-all.sh) and prints it.
result() {
  printf '%-34s %s\n' "$1" "$2"
  if [ -n "${BENCH_RESULTS:-}" ]; then
    printf '%s\t%s\n' "$1" "$2" >>"$BENCH_RESULTS"
  fi
}

# Creates a throwaway dso home with an empty vault under a new temp directory and prints its path.
# The caller removes "$(dirname HOME)".
new_dso_home() {
  local home
  home=$(mktemp -d /tmp/dsobench-home-XXXXXX)/home
  DSO_HOME="$home" "$dso" bootstrap local >/dev/null 2>&1 || fail "dso bootstrap local failed in $home"
  printf '%s\n' "$home"
}

# Writes a .env file of COUNT lines SECRET_000001=... to PATH: write_env_file PATH COUNT.
write_env_file() {
  awk -v count="$2" 'BEGIN {
    for (i = 1; i <= count; i++) printf "SECRET_%06d=value-%06d-0123456789abcdef0123456789abcdef\n", i, i
  }' >"$1"
}

# Creates a dso home whose vault contains COUNT entries bench/SECRET_000001.. (one import, one vault write),
# and prints its path.
new_filled_home() {
  local count=$1 home env_file
  home=$(new_dso_home)
  env_file="$(dirname "$home")/fill.env"
  write_env_file "$env_file" "$count"
  DSO_HOME="$home" "$dso" secret import --prefix bench/ "$env_file" >/dev/null || fail "dso secret import of $count entries failed"
  rm -f "$env_file"
  printf '%s\n' "$home"
}

# Prints the run times in milliseconds, one per line, of the command named NAME (hyperfine -n) in a
# hyperfine --export-json file: hyperfine_times_ms FILE NAME.
hyperfine_times_ms() { jq -r --arg name "$2" '.results[] | select(.command == $name) | .times[] | . * 1000' "$1"; }
