"""Safe, robust autograding over nbgrader: ``python -m grading autograde ASSIGNMENT``.

Modules, one job each: ``sandbox`` (bubblewrap/cgroups/rlimits), ``kernel`` (kernel manager that
starts the kernel in the sandbox), ``guard`` (integrity checks around test cells), ``execute``
(the nbgrader Execute replacement), ``worker`` (one submission), ``runner`` (the batch),
``report`` (CSV and per-student reports). See docs/safe_grading.md.
"""
