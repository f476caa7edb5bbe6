#!/usr/bin/env bash
# A single-node Slurm cluster on this machine, for testing `migproj slurm` (issue 21):
#   tools/slurm-local.sh start DIR   # installs nothing; starts munged, slurmctld, slurmd
#   tools/slurm-local.sh stop DIR    # stops the daemons this script started in DIR
# After `start`, point Slurm's commands at it with: export SLURM_CONF=DIR/slurm.conf
#
# Needs root and Debian's packages slurmctld, slurmd, slurm-client and munge (Slurm 22.05,
# munge 0.5; .ci/run installs them). What it took, measured on a 2-core Debian 12 machine with
# no systemd and no cgroups: a private munge socket (no clash with a system one), the node
# named `localhost` (the hostname does not resolve as a node name), no cgroup plugins, no
# accounting, MailProg=/bin/true, and batch_sched_delay=0 (array tasks start about twice a
# second instead of every 3 s).
set -euo pipefail

action="${1:-}"
dir="${2:-}"
if [ -z "$action" ] || [ -z "$dir" ]; then
  echo "usage: $0 start|stop DIR" >&2
  exit 2
fi
mkdir -p "$dir"
dir="$(cd "$dir" && pwd)"

stop() {
  for pidfile in "$dir/slurmd.pid" "$dir/slurmctld.pid" "$dir/munged.pid"; do
    if [ -f "$pidfile" ]; then
      kill "$(cat "$pidfile")" 2>/dev/null || true
      rm -f "$pidfile"
    fi
  done
}

case "$action" in
  stop)
    stop
    exit 0
    ;;
  start) ;;
  *)
    echo "usage: $0 start|stop DIR" >&2
    exit 2
    ;;
esac

for tool in munged mungekey slurmctld slurmd sinfo; do
  if ! command -v "$tool" >/dev/null 2>&1 && [ ! -x "/usr/sbin/$tool" ]; then
    echo "$0: $tool is not installed (Debian: apt-get install slurmctld slurmd slurm-client munge)" >&2
    exit 2
  fi
done
export PATH="$PATH:/usr/sbin"
stop
mkdir -p "$dir/munge" "$dir/state" "$dir/spool" "$dir/log"
chmod 700 "$dir/munge"
if [ ! -f "$dir/munge/munge.key" ]; then
  mungekey --create --keyfile="$dir/munge/munge.key" >/dev/null
fi
chmod 600 "$dir/munge/munge.key"
munged --force --socket="$dir/munge/munge.socket" --key-file="$dir/munge/munge.key" \
  --pid-file="$dir/munged.pid" --log-file="$dir/log/munged.log" --seed-file="$dir/munge/munge.seed"

cpus="$(nproc)"
memory_mb="$(awk '/MemTotal/ { print int($2 / 1024 * 0.9) }' /proc/meminfo)"
cat >"$dir/slurm.conf" <<EOF
ClusterName=migproj
SlurmctldHost=localhost
SlurmUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$dir/munge/munge.socket
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
SchedulerParameters=batch_sched_delay=0
MailProg=/bin/true
ReturnToService=2
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
SlurmctldPort=6817
SlurmdPort=6818
NodeName=localhost CPUs=$cpus RealMemory=$memory_mb State=UNKNOWN
PartitionName=debug Nodes=localhost Default=YES MaxTime=INFINITE State=UP
EOF
export SLURM_CONF="$dir/slurm.conf"
slurmctld -f "$SLURM_CONF"
slurmd -f "$SLURM_CONF" -N localhost
for _ in $(seq 1 60); do
  if [ "$(sinfo -h -N -o %t 2>/dev/null | head -1)" = "idle" ]; then
    echo "slurm: up (SLURM_CONF=$SLURM_CONF, $cpus CPUs, $memory_mb MB)"
    exit 0
  fi
  sleep 0.5
done
echo "$0: the node did not become idle; logs in $dir/log" >&2
sinfo -N >&2 || true
exit 1
