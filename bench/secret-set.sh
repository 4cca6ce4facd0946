#!/usr/bin/env bash
# Measures how dso's vault writes and reads scale.
#
# Part 1: SETS 'dso secret set' calls in a row, each with a new name, into a vault that starts empty. The
# baseline is the same count of 'dso version' calls (process start and argument parsing, no vault), with
# the same here-string on standard input. Both run in chunks of 100 calls whose order flips from chunk to
# chunk. A here-string needs no extra process, unlike a pipe from printf, and it cannot fail with SIGPIPE
# when 'dso version' exits without reading it.
#
# Part 2: the time of one vault open ('dso secret get NAME' and 'dso vault check') and one save
# ('dso secret set NAME') at 100, 1,000 and 10,000 entries, as a ratio to the time at 100 entries. A save
# opens the vault, changes one entry and writes the whole vault again. hyperfine -N connects standard input to
# /dev/null, so the measured set stores an empty value (--allow-empty) under an existing name; the vault keeps its size.
# The sizes take turns in BLOCKS rounds, and the order of the sizes is reversed every other round.
#
# Settings (environment): SETS (1000), BLOCKS (4), RUNS (20), WARMUP (3), DSO_BIN (out/bin/dso).
set -euo pipefail
source "$(dirname "$0")/lib.sh"

sets=${SETS:-1000}
chunk=100
blocks=${BLOCKS:-4}
runs=${RUNS:-20}
warmup=${WARMUP:-3}
sizes=(100 1000 10000)

require_dso
require_tools hyperfine jq
(( sets % chunk == 0 )) || fail "SETS must be a multiple of $chunk, not $sets"

work=$(mktemp -d /tmp/dsobench-set-XXXXXX)
homes=()
cleanup() {
  local home
  for home in "${homes[@]}"; do
    rm -rf "$(dirname "$home")"
  done
  rm -rf "$work"
}
trap cleanup EXIT

# Part 1 ---------------------------------------------------------------------------------------------

sequence_home=$(new_dso_home)
homes+=("$sequence_home")

# Runs calls FIRST..LAST of 'dso secret set' and prints the elapsed nanoseconds.
run_set_chunk() {
  local first=$1 last=$2 i start
  start=$(now_ns)
  for (( i = first; i <= last; i++ )); do
    DSO_HOME="$sequence_home" "$dso" secret set "bench/seq/SECRET_$i" <<<"value-$i" 2>/dev/null
  done
  echo $(( $(now_ns) - start ))
}

# Runs the same count of 'dso version' calls, with the same standard input, and prints the elapsed nanoseconds.
run_version_chunk() {
  local first=$1 last=$2 i start
  start=$(now_ns)
  for (( i = first; i <= last; i++ )); do
    DSO_HOME="$sequence_home" "$dso" version <<<"value-$i" >/dev/null
  done
  echo $(( $(now_ns) - start ))
}

log "Part 1: $sets 'dso secret set' calls with new names, against as many 'dso version' calls"
set_total_ns=0
version_total_ns=0
: >"$work/set-chunks"
for (( first = 1; first <= sets; first += chunk )); do
  last=$(( first + chunk - 1 ))
  if (( (first / chunk) % 2 == 0 )); then
    set_ns=$(run_set_chunk "$first" "$last")
    version_ns=$(run_version_chunk "$first" "$last")
  else
    version_ns=$(run_version_chunk "$first" "$last")
    set_ns=$(run_set_chunk "$first" "$last")
  fi
  set_total_ns=$(( set_total_ns + set_ns ))
  version_total_ns=$(( version_total_ns + version_ns ))
  echo "$(( set_ns / chunk ))" >>"$work/set-chunks"
  log "sets $first-$last: $(fmt "$(awk -v n="$set_ns" -v c="$chunk" 'BEGIN { print n / c / 1e6 }')" 1) ms per set, $(fmt "$(awk -v n="$version_ns" -v c="$chunk" 'BEGIN { print n / c / 1e6 }')" 1) ms per version"
done

stored=$(DSO_HOME="$sequence_home" "$dso" vault check --json | jq .entries)
[ "$stored" = "$sets" ] || fail "the vault holds $stored entries after $sets sets"

set_per_call_ms=$(awk -v n="$set_total_ns" -v c="$sets" 'BEGIN { print n / c / 1e6 }')
version_per_call_ms=$(awk -v n="$version_total_ns" -v c="$sets" 'BEGIN { print n / c / 1e6 }')
first_chunk_ms=$(awk -v n="$(head -n 1 "$work/set-chunks")" 'BEGIN { print n / 1e6 }')
last_chunk_ms=$(awk -v n="$(tail -n 1 "$work/set-chunks")" 'BEGIN { print n / 1e6 }')

echo
echo "$sets 'dso secret set' calls in a row (vault grows from 0 to $sets entries)"
result "set.sequence_total_s" "$(fmt "$(awk -v n="$set_total_ns" 'BEGIN { print n / 1e9 }')" 2)"
result "set.sequence_per_call_ms" "$(fmt "$set_per_call_ms" 1)"
result "set.sequence_first_100_per_call_ms" "$(fmt "$first_chunk_ms" 1)"
result "set.sequence_last_100_per_call_ms" "$(fmt "$last_chunk_ms" 1)"
result "set.version_per_call_ms" "$(fmt "$version_per_call_ms" 1)"
result "set.sequence_ratio_to_version" "$(ratio "$set_per_call_ms" "$version_per_call_ms")"

# Part 2 ---------------------------------------------------------------------------------------------

declare -A home_of
for size in "${sizes[@]}"; do
  log "Filling a vault with $size entries"
  home_of[$size]=$(new_filled_home "$size")
  homes+=("${home_of[$size]}")
  : >"$work/get-$size.ms"
  : >"$work/check-$size.ms"
  : >"$work/set-$size.ms"
done

log "Part 2: $blocks rounds of $runs runs per command and size, warmup $warmup"
for block in $(seq 1 "$blocks"); do
  if (( block % 2 )); then
    order=("${sizes[@]}")
  else
    order=(10000 1000 100)
  fi
  for size in "${order[@]}"; do
    DSO_HOME="${home_of[$size]}" hyperfine -N --style none --warmup "$warmup" --runs "$runs" --output null \
      --export-json "$work/block.json" \
      -n get "$dso secret get bench/SECRET_000050" \
      -n check "$dso vault check" \
      -n set "$dso secret set --allow-empty bench/SECRET_000050" >/dev/null
    for operation in get check set; do
      hyperfine_times_ms "$work/block.json" "$operation" >>"$work/$operation-$size.ms"
    done
  done
  log "round $block done"
done

echo
echo "vault open and save time by vault size ($(( blocks * runs )) runs per cell; ratio to 100 entries)"
for operation in get check set; do
  base=$(median <"$work/$operation-100.ms")
  for size in "${sizes[@]}"; do
    value=$(median <"$work/$operation-$size.ms")
    result "set.growth.$operation.$size.median_ms" "$(fmt "$value" 1)"
    result "set.growth.$operation.$size.ratio" "$(ratio "$value" "$base")"
  done
done
for size in "${sizes[@]}"; do
  result "set.growth.vault_bytes.$size" "$(stat -c %s "${home_of[$size]}/vault.enc")"
done
