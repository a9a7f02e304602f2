#!/usr/bin/env bash
# polish — shards under a real single-node Slurm: the test starts munge, slurmctld and slurmd as
# root with a throw-away configuration, submits one job array for the shards and a merge job that
# depends on it (afterok), and compares the outputs with a single-process run. Skipped, saying
# why, where Slurm cannot start (not root, not installed).
. "$(dirname "$0")/lib.sh"
POLISH=$(cd "$(dirname "$POLISH")" && pwd)/$(basename "$POLISH") # the test changes folder
SRCDIR=$(cd "$(dirname "$0")/../.." && pwd)
skip() { echo "SKIP: $*"; exit 77; }
[ "$(id -u)" -eq 0 ] || skip "starting slurmctld and slurmd needs root"
for p in slurmctld slurmd sbatch squeue scontrol munged; do
    command -v "$p" >/dev/null || skip "$p is not installed (slurm-wlm, munge)"
done
[ -r /etc/munge/munge.key ] || skip "no /etc/munge/munge.key"

# polish first: a broken program fails here, before any daemon is started
cd "$T" || exit 1
mkdir -p "$T/photos/sub"
i=0
for f in coffee.png astronaut.png chelsea.png rocket.jpg camera.png; do
    i=$((i + 1))
    make_photo "$T/photos/p$i.jpg" 160x "$f"
done
make_photo "$T/photos/sub/p1.jpg" 96x
printf 'domain: image\nsteps:\n  - sharpen: {amount: 0.3}\n  - resize: {width: 120}\n' > "$T/r.yml"
run_polish 0 plan r.yml photos/ -o "$T/out/" --shards 3 --quiet
check "the plan is written" test -s "$T/out/plan.json"
run_polish 0 run r.yml photos/ -o single/ --quiet
check "the single-process run wrote its outputs" test "$(find single -type f | wc -l)" -eq 6
H=$(hostname -s)
S=$T/slurm
mkdir -p "$S/state" "$S/spool"
PORT=$((20000 + RANDOM % 20000))
cat > "$S/slurm.conf" <<CONF
ClusterName=polishtest
SlurmctldHost=$H
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
StateSaveLocation=$S/state
SlurmdSpoolDir=$S/spool
SlurmctldPidFile=$S/slurmctld.pid
SlurmdPidFile=$S/slurmd.pid
SlurmctldPort=$PORT
SlurmdPort=$((PORT + 1))
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SchedulerType=sched/builtin
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
MpiDefault=none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SlurmctldLogFile=$S/ctld.log
SlurmdLogFile=$S/slurmd.log
NodeName=$H CPUs=$(nproc) State=UNKNOWN
PartitionName=polish Nodes=$H Default=YES MaxTime=INFINITE State=UP
CONF
export SLURM_CONF=$S/slurm.conf
started_munge=0
if ! pgrep -x munged >/dev/null; then
    mkdir -p /run/munge && chown munge: /run/munge 2>/dev/null
    munged --force >/dev/null 2>&1 || skip "munged does not start"
    started_munge=1
fi
for _ in $(seq 1 50); do # munge answers before the daemons are started
    munge -n 2>/dev/null | unmunge >/dev/null 2>&1 && break
    sleep 0.2
done
cleanup_slurm() {
    scontrol shutdown >/dev/null 2>&1
    # the daemons of this test only: they were started with this test's configuration file
    pkill -f -- "-f $S/slurm.conf" 2>/dev/null
    for _ in $(seq 1 50); do
        pgrep -f -- "-f $S/slurm.conf" >/dev/null || break
        sleep 0.2
    done
    pkill -9 -f -- "-f $S/slurm.conf" 2>/dev/null
    [ $started_munge -eq 1 ] && pkill -x munged
    chmod -R u+w "$T" 2>/dev/null; rm -rf "$T"
}
trap cleanup_slurm EXIT
slurmctld -f "$S/slurm.conf" >/dev/null 2>&1 || skip "slurmctld does not start: $(tail -3 "$S/ctld.log" 2>/dev/null)"
slurmd -f "$S/slurm.conf" >/dev/null 2>&1 || skip "slurmd does not start: $(tail -3 "$S/slurmd.log" 2>/dev/null)"
up=0
for _ in $(seq 1 60); do
    sinfo -h -o %t 2>/dev/null | grep -q idle && { up=1; break; }
    sleep 1
done
[ $up -eq 1 ] || skip "the Slurm node never became idle: $(tail -3 "$S/ctld.log")"

# the shard index comes from SLURM_ARRAY_TASK_ID
jid=$(sbatch --parsable --array=0-2 -o "$T/slurm-%A_%a.log" --wrap "$POLISH run --plan $T/out/plan.json --quiet")
check "the job array was accepted" test -n "$jid"
mid=$(sbatch --parsable --dependency=afterok:"$jid" -o "$T/merge.log" --wrap "$POLISH merge $T/out/plan.json")
check "the merge job was accepted" test -n "$mid"
for _ in $(seq 1 120); do
    [ "$(squeue -h 2>/dev/null | wc -l)" -eq 0 ] && break
    sleep 1
done
check "every job finished" test "$(squeue -h | wc -l)" -eq 0
check "the merge job ran after the array and found every item done" grep -q "every planned item is done" "$T/merge.log"
check "merge wrote the report" test -s "$T/out/report.json"
same=1
for f in $(cd single && find . -type f | sort); do cmp -s "single/$f" "out/$f" || { same=0; echo "differs: $f" >&2; }; done
check "Slurm's shards give the single-process outputs, byte for byte" test $same -eq 1
for s in 0 1 2; do
    check "shard $s streamed its report" test -s "$T/out/.polish-shards/stage-1.shard-$s.jsonl"
done

# Records in stages: one job array per stage, each afterok on the one before, then the merge.
/usr/bin/python3 "$SRCDIR/bench/records/gen_leads.py" 300 "$T/leads.csv" "$T/truth.txt"
printf 'domain: records\nsteps: [standardise, dedupe, merge]\n' > "$T/dedupe.yml"
"$POLISH" plan "$T/dedupe.yml" "$T/leads.csv" -o "$T/rec" --shards 3 --quiet
dep=
for St in 1 2 3; do
    dep=$(sbatch --parsable --array=0-2 ${dep:+--dependency=afterok:$dep} -o "$T/rec-%A_%a.log" \
        --wrap "$POLISH run --plan $T/rec/plan.json --stage $St --quiet")
    check "stage $St's array was accepted" test -n "$dep"
done
sbatch --parsable --dependency=afterok:"$dep" -o "$T/rec-merge.log" --wrap "$POLISH merge $T/rec/plan.json" >/dev/null
for _ in $(seq 1 180); do
    [ "$(squeue -h 2>/dev/null | wc -l)" -eq 0 ] && break
    sleep 1
done
check "the staged jobs finished and merge found every part done" grep -q "every planned item is done" "$T/rec-merge.log"
"$POLISH" run "$T/dedupe.yml" "$T/leads.csv" -o "$T/rec1" --quiet
check "Slurm's stages give the single-process list, byte for byte" cmp -s "$T/rec1/leads.csv" "$T/rec/leads.csv"
finish
