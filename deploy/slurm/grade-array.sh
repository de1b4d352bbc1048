#!/bin/bash
# Sharded autograding as a Slurm job array: array task i grades shard i of N (N = number of tasks)
# into the shared PostgreSQL gradebook. Each task works in a node-local copy of the course and
# copies its autograded notebooks, feedback and reports back. A task that fails or is killed can
# simply be resubmitted (sbatch --array=<i> ...): finished students are skipped.
#
#   export ASSIGNMENT=a2_rnn_vs_lstm_stability
#   export COURSE_DIR=/shared/course                      # nbgrader_config.py, source/, submitted/
#   export GRADEBOOK_URL='postgresql://grader:...@db.example.org:5432/gradebook'
#   sbatch --export=ALL deploy/slurm/grade-array.sh       # or --array=0-31 for 32 shards
#
# Isolation: the grader sandboxes kernels with bubblewrap, which needs root. Where a site allows
# it, set GRADING_PREFIX="sudo -n" (a sudo rule for the course's python -m grading); otherwise the
# grader refuses to run unsandboxed unless GRADING_ISOLATION=--allow-unsandboxed (trusted work only).
# GRADING_DRY_RUN=1 prints the grading command instead of running it.
#SBATCH --job-name=lstm-course-grading
#SBATCH --array=0-15
#SBATCH --cpus-per-task=2
#SBATCH --mem=6G
#SBATCH --time=04:00:00
#SBATCH --output=grading-%A_%a.log
set -euo pipefail

: "${ASSIGNMENT:?set ASSIGNMENT to the assignment id}"
: "${COURSE_DIR:?set COURSE_DIR to the shared course directory}"
: "${GRADEBOOK_URL:?set GRADEBOOK_URL to the shared gradebook (postgresql://...)}"
: "${SLURM_ARRAY_TASK_ID:?run this with sbatch as a job array}"
PYTHON="${PYTHON:-python}"
JOBS="${SLURM_CPUS_PER_TASK:-2}"

# the shard is the task's position in a contiguous array: --array=0-15 -> shards 0/16 .. 15/16
first="${SLURM_ARRAY_TASK_MIN:-0}"
last="${SLURM_ARRAY_TASK_MAX:?}"
count="${SLURM_ARRAY_TASK_COUNT:-$((last - first + 1))}"
if [ "$count" -ne $((last - first + 1)) ]; then
  echo "the array must be a contiguous range such as 0-15 (got $count tasks from $first to $last)" >&2
  exit 2
fi
shard="$((SLURM_ARRAY_TASK_ID - first))/$count"

work="${TMPDIR:-/tmp}/lstm-grading-${SLURM_ARRAY_JOB_ID:-job}-${SLURM_ARRAY_TASK_ID}"
cmd=(${GRADING_PREFIX:-} "$PYTHON" -m grading autograde "$ASSIGNMENT" --course-dir "$work/course"
     --jobs "$JOBS" --shard "$shard" --db-url "$GRADEBOOK_URL" ${GRADING_ISOLATION:-})
if [ -n "${GRADING_DRY_RUN:-}" ]; then
  shown=()
  for arg in "${cmd[@]}"; do
    if [ "$arg" = "$GRADEBOOK_URL" ]; then arg='$GRADEBOOK_URL'; fi  # never print the password
    shown+=("$arg")
  done
  echo "${shown[*]}"
  exit 0
fi

mkdir -p "$work/course"
trap 'rm -rf "$work"' EXIT
# node-local copy of the course, without other runs' state and outputs
tar -C "$COURSE_DIR" --exclude=./.grading --exclude=./autograded --exclude=./feedback \
    --exclude=./reports -cf - . | tar -C "$work/course" -xf -
status=0
"${cmd[@]}" || status=$?
for out in autograded feedback; do
  if [ -d "$work/course/$out" ]; then
    mkdir -p "$COURSE_DIR/$out" && cp -a "$work/course/$out/." "$COURSE_DIR/$out/"
  fi
done
if [ -d "$work/course/reports/$ASSIGNMENT" ]; then
  dest="$COURSE_DIR/reports/$ASSIGNMENT/shard-$((SLURM_ARRAY_TASK_ID - first))-of-$count"
  mkdir -p "$dest" && cp -a "$work/course/reports/$ASSIGNMENT/." "$dest/"
fi
exit "$status"
