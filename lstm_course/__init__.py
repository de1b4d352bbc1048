"""Shared helpers for the "LSTMs for NLP" course notebooks.

Importing the package is cheap: TensorFlow is only imported by the modules that need it.
"""
from .course import BRANCH, REPOSITORY
from .env import _quiet_tensorflow, setup

_quiet_tensorflow()  # env defaults only; must precede any TensorFlow import by the submodules

__version__ = "0.1.0"
__all__ = ["BRANCH", "REPOSITORY", "setup", "__version__"]
