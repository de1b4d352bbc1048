"""Course benchmark: run every notebook as a learner would and print time and peak memory per notebook,
the targets, and lesson 1's result table.

    python tools/benchmark.py                 # lessons and assignment solutions
    python tools/benchmark.py lessons/02*.ipynb

Targets (issue "the course itself"): each lesson <= 90 s, all lessons <= 5 min, peak RSS <= 1.5 GB per
notebook (Binder gives 2 GB). Figures depend on the machine and on what else runs on it.
"""
import argparse
import sys
import threading
import time
from pathlib import Path

import nbformat
import psutil
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
LESSON_SECONDS, COURSE_SECONDS, PEAK_BYTES = 90, 300, 1.5 * 1024**3


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
    nb = nbformat.read(str(path), as_version=4)
    client = NotebookClient(nb, timeout=900, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}})
    with PeakMemory() as memory:
        start = time.perf_counter()
        client.execute()
        seconds = time.perf_counter() - start
    return nb, seconds, memory.peak


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
          f"{' '.join(f'{x:.1f}' for x in psutil.getloadavg())} before the run\n")
    print(f"{'notebook':<52} {'seconds':>8} {'peak RSS':>9}  targets")
    lesson_total, misses, table = 0.0, 0, None
    for path in notebooks:
        path = path.resolve()
        nb, seconds, peak = run_notebook(path)
        is_lesson = path.parent.name == "lessons"
        ok_time = seconds <= LESSON_SECONDS or not is_lesson
        ok_mem = peak <= PEAK_BYTES
        misses += (not ok_time) + (not ok_mem)
        lesson_total += seconds if is_lesson else 0
        verdict = ("time ok" if ok_time else f"TIME > {LESSON_SECONDS} s") if is_lesson else "-"
        verdict += ", " + ("memory ok" if ok_mem else "MEMORY > 1.5 GB")
        print(f"{str(path.relative_to(ROOT)):<52} {seconds:8.1f} {peak / 1024**2:7.0f} MB  {verdict}", flush=True)
        if path.name.startswith("01_"):
            table = lesson1_table(nb)
    if lesson_total:
        ok = lesson_total <= COURSE_SECONDS
        misses += not ok
        print(f"\nall lessons: {lesson_total:.1f} s (target <= {COURSE_SECONDS} s: {'ok' if ok else 'MISSED'})")
    if table:
        print("\nLesson 1, long-range task:\n" + table)
    if not args.no_widgets:
        from widget_timings import format_table, measure  # tools/ is on sys.path when run as a script
        print("\nWidget reaction time per move (target: instant, < 100 ms, except the two that re-run a model):")
        print(format_table(measure()))
    print(f"\nBinder gives 2 GB; the peak RSS column above is each notebook's kernel. {misses} target(s) missed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
