#!/usr/bin/env bash
# Issue 21's Slurm benchmark: a scenario as N = 2, 4, 8 shards on the single-node Slurm of
# tools/slurm-local.sh (SLURM_CONF set), each shard with 1 CPU; prints each shard's time (from
# its log), the merge's, the total, and the peak memory of each job (GNU time).
#   tools/bench-slurm.sh SCENARIO TRAJECTORIES OUT [N...]
set -euo pipefail
scenario="$1"; trajectories="$2"; out="$3"; shift 3
counts=("$@"); [ ${#counts[@]} -eq 0 ] && counts=(2 4 8)
binary="$(pwd)/target/release/migproj"
wrapper="$(mktemp -d)/migproj-timed"
# Each job's peak memory: the binary run under GNU time -v.
cat >"$wrapper" <<WRAP
#!/bin/sh
exec /usr/bin/time -f "peak_rss_kb=%M wall_s=%e" "$binary" "\$@"
WRAP
chmod +x "$wrapper"
for n in "${counts[@]}"; do
  rm -rf "$out/$n"
  start=$(date +%s.%N)
  "$binary" slurm "$scenario" --shards "$n" --trajectories "$trajectories" --cpus 1 --mem 4G \
    --binary "$wrapper" --out "$out/$n" --submit --wait >/dev/null
  end=$(date +%s.%N)
  name="$(basename "$scenario" .toml)"
  echo "== $n shards of $trajectories trajectories: total $(echo "$end - $start" | bc) s"
  for log in "$out/$n/$name.slurm"/shard-*.log "$out/$n/$name.slurm/merge.log"; do
    echo "  $(basename "$log"): $(grep -o 'peak_rss_kb=[0-9]* wall_s=[0-9.]*' "$log")"
  done
  du -sh "$out/$n"/"$name".shard-* | awk '{ s = s " " $1 } END { print "  shard sizes:" s }'
  # Keep the merged folder, free the shards' disk.
  rm -rf "$out/$n"/"$name".shard-*
done
