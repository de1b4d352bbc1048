"""Notebook set-up: quiet TensorFlow logs, report versions, make runs repeatable."""
import os
import platform
import sys

MIN_TENSORFLOW = (2, 16)  # first release that ships Keras 3 by default


def _quiet_tensorflow() -> None:
    """Set before TensorFlow is imported (a user's own setting wins).

    Level 3 hides TensorFlow's C++ log lines, which are noise for learners (and which nbgrader would
    otherwise see on stderr); Python errors still raise as usual. oneDNN's custom kernels are turned
    off because they may reorder floating-point sums, which works against repeatable numbers.
    """
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")


def in_colab() -> bool:
    return "google.colab" in sys.modules


def _version_tuple(version: str) -> tuple:
    parts = []
    for piece in version.split(".")[:2]:
        digits = "".join(ch for ch in piece if ch.isdigit())
        parts.append(int(digits or 0))
    return tuple(parts)


def set_seed(seed: int = 42) -> None:
    """Seed Python, NumPy and TensorFlow, and ask TensorFlow for deterministic kernels.

    With the same seed, the same code gives the same numbers on the same machine.
    """
    import keras
    import tensorflow as tf

    keras.utils.set_random_seed(seed)  # seeds `random`, NumPy and the backend in one call
    try:
        tf.config.experimental.enable_op_determinism()
    except Exception:  # pragma: no cover - very old TF; seeding alone still applies
        pass


def free_memory(*models) -> None:
    """Give memory the notebook no longer needs back to the operating system; weights and numbers stay.

    Each model in `models` loses its traced training, evaluation and prediction functions (Keras traces
    them again if `fit`, `evaluate` or `predict` is called later): call it for a model that is done
    training. Then Python's garbage is collected and, on Linux, the C allocator hands its free pages back
    (`malloc_trim`), which TensorFlow's threads otherwise keep: the kernel's resident memory really
    goes down, and the next training run starts from there instead of piling on top.
    """
    import gc

    for model in models:
        for name in ("train_function", "test_function", "predict_function"):
            if getattr(model, name, None) is not None:
                setattr(model, name, None)
    gc.collect()
    _trim_c_heap()


def _trim_c_heap() -> None:
    if not sys.platform.startswith("linux"):
        return
    try:
        import ctypes

        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # not glibc (e.g. musl): nothing to trim
        pass


def setup(seed: int = 42, verbose: bool = True) -> dict:
    """First call of every notebook: check versions, seed everything, report the platform.

    Raises a clear error when TensorFlow is missing or too old for Keras 3.
    """
    _quiet_tensorflow()
    try:
        import tensorflow as tf
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise ImportError(
            "TensorFlow is not installed. Locally run `make lab` (or "
            "`pip install -r requirements.txt -e .`); on Colab it is preinstalled."
        ) from exc
    import keras

    if _version_tuple(tf.__version__) < MIN_TENSORFLOW:
        raise RuntimeError(
            f"This course needs TensorFlow >= {'.'.join(map(str, MIN_TENSORFLOW))} with Keras 3; "
            f"found TensorFlow {tf.__version__}. Upgrade with `pip install -U tensorflow`."
        )
    if not keras.__version__.startswith("3."):
        raise RuntimeError(f"This course needs Keras 3; found Keras {keras.__version__}.")

    set_seed(seed)
    info = {
        "python": platform.python_version(),
        "tensorflow": tf.__version__,
        "keras": keras.__version__,
        "seed": seed,
        "colab": in_colab(),
        "gpu": bool(tf.config.list_physical_devices("GPU")),
    }
    if verbose:
        where = "Colab" if info["colab"] else "local/Binder"
        device = "GPU" if info["gpu"] else "CPU"
        print(
            f"Python {info['python']} | TensorFlow {info['tensorflow']} | Keras {info['keras']} | "
            f"{where} on {device} | seed {seed}"
        )
    return info
