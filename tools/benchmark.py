"""Course benchmark: run every notebook as a learner would and print time and peak memory per notebook,
each lesson's time split into start-up, training and the rest, the targets, and lesson 1's result table.

    python tools/benchmark.py                 # lessons and assignment solutions
    python tools/benchmark.py lessons/02*.ipynb

Targets (issue 8, "Performance"): each lesson <= 60 s on an idle 2-core machine, all lessons <= 4 min,
peak RSS <= 1.0 GB per notebook (Binder guarantees 1 GB and allows at most 2 GB).
Split: start-up = the cells before the first cell tagged `training` (kernel start and imports included),
training = the cells tagged `training`, rest = every other cell.
Figures depend on the machine and on what else runs on it; the calibration line (TensorFlow's import time
and one fixed reference fit) lets figures from two machines be compared.
"""
import argparse
import subprocess
import sys
import threading
import time
from pathlib import Path

import nbformat
import psutil
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
LESSON_SECONDS, COURSE_SECONDS, PEAK_BYTES = 60, 240, 1.0 * 1024**3
TRAINING_TAG = "training"

# One fixed, deterministic Keras fit, run in a fresh interpreter: how fast this machine imports TensorFlow
# and trains a small LSTM. Compare the lesson figures of two machines through these two numbers.
CALIBRATION = r"""
import os, time
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
start = time.perf_counter()
import tensorflow as tf
import_seconds = time.perf_counter() - start
import keras, numpy as np
keras.utils.set_random_seed(0)
rng = np.random.default_rng(0)
x = rng.normal(size=(512, 20, 8)).astype("float32")
y = (x[:, :5, 0].sum(axis=1) > 0).astype("float32")
model = keras.Sequential([keras.Input((20, 8)), keras.layers.LSTM(32), keras.layers.Dense(1, activation="sigmoid")])
model.compile("adam", "binary_crossentropy")
start = time.perf_counter()
model.fit(x, y, batch_size=32, epochs=3, shuffle=False, verbose=0)  # 48 steps
print(f"{import_seconds:.2f} {time.perf_counter() - start:.2f} {tf.__version__} {keras.__version__}")
"""


class PeakMemory:
    """Samples the summed RSS of this process's descendants (the kernel and anything it starts)."""

    def __init__(self, interval: float = 0.05):
        self.interval, self.peak, self._stop = interval, 0, threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        me = psutil.Process()
        while not self._stop.is_set():
            total = 0
            for child in me.children(recursive=True):
                try:
                    total += child.memory_info().rss
                except psutil.Error:
                    pass
            self.peak = max(self.peak, total)
            time.sleep(self.interval)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()


def run_notebook(path: Path):
    """Execute `path` cell by cell in a fresh kernel; return it, the seconds per part and the peak RSS."""
    nb = nbformat.read(str(path), as_version=4)
    client = NotebookClient(nb, timeout=900, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}})
    first_training = next((i for i, c in enumerate(nb.cells) if TRAINING_TAG in c.metadata.get("tags", [])), None)
    parts = {"start-up": 0.0, "training": 0.0, "rest": 0.0}
    client.reset_execution_trackers()
    with PeakMemory() as memory:
        start = time.perf_counter()
        with client.setup_kernel():
            parts["start-up"] += time.perf_counter() - start  # the kernel's start
            for index, cell in enumerate(nb.cells):
                if cell.cell_type != "code":
                    continue
                cell_start = time.perf_counter()
                client.execute_cell(cell, index, execution_count=client.code_cells_executed + 1)
                seconds = time.perf_counter() - cell_start
                if TRAINING_TAG in cell.metadata.get("tags", []):
                    parts["training"] += seconds
                elif first_training is None or index < first_training:
                    parts["start-up"] += seconds
                else:
                    parts["rest"] += seconds
        seconds = time.perf_counter() - start
    return nb, seconds, parts, memory.peak, first_training is not None


def calibration() -> str:
    run = subprocess.run([sys.executable, "-c", CALIBRATION], capture_output=True, text=True, timeout=600)
    if run.returncode:
        return f"calibration failed: {run.stderr[-500:]}"
    import_s, fit_s, tf_version, keras_version = run.stdout.split()
    return (f"calibration: import tensorflow {float(import_s):.1f} s | reference fit {float(fit_s):.1f} s "
            f"(LSTM(32) on 512 x 20 x 8, batch 32, 3 epochs = 48 steps; TensorFlow {tf_version}, Keras {keras_version})")


def lesson1_table(nb) -> str:
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            if out.get("output_type") == "stream" and "final validation accuracy" in out.get("text", ""):
                return out["text"].strip()
    return "(lesson 1 printed no result table)"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("notebooks", nargs="*", type=Path)
    parser.add_argument("--no-widgets", action="store_true", help="skip the widget reaction times")
    args = parser.parse_args(argv)
    notebooks = args.notebooks or sorted((ROOT / "lessons").glob("*.ipynb")) + sorted((ROOT / "solutions").glob("*/*.ipynb"))
    print(f"{psutil.cpu_count()} CPUs, {psutil.virtual_memory().total / 1024**3:.0f} GB; load average "
          f"{' '.join(f'{x:.1f}' for x in psutil.getloadavg())} before the run")
    print(calibration() + "\n", flush=True)
    print(f"{'notebook':<52} {'seconds':>8} {'start-up':>9} {'training':>9} {'rest':>6} {'peak RSS':>9}  targets")
    lesson_total, misses, table = 0.0, 0, None
    for path in notebooks:
        path = path.resolve()
        nb, seconds, parts, peak, tagged = run_notebook(path)
        is_lesson = path.parent.name == "lessons"
        ok_time = seconds <= LESSON_SECONDS or not is_lesson
        ok_mem = peak <= PEAK_BYTES
        misses += (not ok_time) + (not ok_mem)
        lesson_total += seconds if is_lesson else 0
        verdict = ("time ok" if ok_time else f"TIME > {LESSON_SECONDS} s") if is_lesson else "-"
        verdict += ", " + ("memory ok" if ok_mem else f"MEMORY > {PEAK_BYTES / 1024**3:.1f} GB")
        verdict += "" if tagged else " (no cell tagged training)"
        print(f"{str(path.relative_to(ROOT)):<52} {seconds:8.1f} {parts['start-up']:9.1f} {parts['training']:9.1f} "
              f"{parts['rest']:6.1f} {peak / 1024**2:6.0f} MB  {verdict}", flush=True)
        if path.name.startswith("01_"):
            table = lesson1_table(nb)
    all_lessons = sorted((ROOT / "lessons").glob("*.ipynb"))
    ran_lessons = [p for p in notebooks if p.resolve().parent.name == "lessons"]
    if lesson_total and len(ran_lessons) == len(all_lessons):
        ok = lesson_total <= COURSE_SECONDS
        misses += not ok
        print(f"\nall lessons: {lesson_total:.1f} s (target <= {COURSE_SECONDS} s: {'ok' if ok else 'MISSED'})")
    elif lesson_total:
        print(f"\n{len(ran_lessons)} of {len(all_lessons)} lessons: {lesson_total:.1f} s "
              f"(the {COURSE_SECONDS} s target is for all of them: run without arguments)")
    if table:
        print("\nLesson 1, long-range task:\n" + table)
    if not args.no_widgets:
        from widget_timings import format_table, measure  # tools/ is on sys.path when run as a script
        print("\nWidget reaction time per move (target: instant, < 100 ms, except the two that re-run a model):")
        print(format_table(measure()))
    print(f"\nBinder guarantees 1 GB (2 GB at most); the peak RSS column is each notebook's kernel and what it "
          f"starts. {misses} target(s) missed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
