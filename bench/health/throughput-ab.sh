#!/usr/bin/env bash
# throughput-ab: bench/health/throughput.ts against an older commit and the working tree, in
# one sitting, alternating (old, new, old, new, ...), so both see the same machine load.
#
#   bench/health/throughput-ab.sh OLD_COMMIT [PAIRS=3] [THROUGHPUT ARGS...]
#
# The old commit is exported with git archive to a temporary directory that borrows this
# tree's node_modules and built addon (so only run it against commits whose addon interface
# matches), and runs this tree's throughput.ts: the same measurement of the old health code.
# Prints each run's median lines, then the median of the runs for each side.
set -euo pipefail
cd "$(dirname "$0")/../.."
old_commit=${1:?usage: throughput-ab.sh OLD_COMMIT [PAIRS] [THROUGHPUT ARGS...]}
pairs=${2:-3}
shift $(( $# < 2 ? $# : 2 ))
old_tree=$(mktemp -d /tmp/tandem-throughput-ab.XXXXXX)
results=$(mktemp)
run_log=$(mktemp)
trap 'rm -rf "$old_tree" "$results" "$run_log"' EXIT
git archive "$old_commit" | tar -x -C "$old_tree"
ln -s "$PWD/node_modules" "$old_tree/node_modules"
mkdir -p "$old_tree/native/build"
cp -r native/build/Release "$old_tree/native/build/"
cp bench/health/throughput.ts "$old_tree/bench/health/throughput.ts"
for pair in $(seq "$pairs"); do
  for side in old new; do
    dir=$PWD
    label="$(git rev-parse --short HEAD)+working tree"
    if [ "$side" = old ]; then dir=$old_tree; label=$old_commit; fi
    echo "== pair $pair, $side ($label)"
    (cd "$dir" && npx tsx bench/health/throughput.ts "$@" 2>/dev/null) > "$run_log"
    cat "$run_log"
    # The closing lines: "  <line name>  <figure> checks/CPU-s ..."; names may hold a space.
    awk -v side="$side" '/^  / && match($0, /[0-9,]+ checks\/CPU-s/) {
      figure = substr($0, RSTART, RLENGTH); sub(/ .*/, "", figure); gsub(",", "", figure)
      name = substr($0, 1, RSTART - 1); gsub(/^ +| +$/, "", name); gsub(/ /, "_", name)
      print side, name, figure }' "$run_log" >> "$results"
  done
done
echo "== median over $pairs runs each (each run's figure is its own median of rounds)"
for line in tcp bare_net http node:http; do
  for side in old new; do
    awk -v side="$side" -v line="$line" '$1 == side && $2 == line { print $3 }' "$results" | sort -n |
      awk -v side="$side" -v line="$line" '{ v[NR] = $1 } END { if (NR > 0) printf "  %-9s %-4s %7d checks/CPU-s\n", line, side, (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2) }'
  done
done
echo "1-min load average now: $(cut -d' ' -f1 /proc/loadavg)"
