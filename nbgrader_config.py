"""nbgrader configuration for the course (read by every `nbgrader` command run from this folder).

Folders (relative to the folder holding this file, the course root):
  solutions/<assignment>/          nbgrader's "source": solutions, visible and hidden tests
  assignments/<assignment>/        nbgrader's "release": what learners open (generated, committed)
  submitted/ autograded/ feedback/ gradebook.db   nbgrader's working state (nbgrader's default
                                   names, all gitignored; never committed)

To grade elsewhere (a copy of the course, a sandbox), copy this file next to `solutions/` there or
pass `--CourseDirectory.root=/path`; command-line options override this file.
"""
import os
import sys

from nbconvert.preprocessors import ClearMetadataPreprocessor
from nbconvert.preprocessors import CSSHTMLHeaderPreprocessor
from nbgrader.preprocessors import (
    AssignLatePenalties, CheckCellMetadata, Execute, GetGrades, LimitOutput, SaveAutoGrades,
)

c = get_config()  # noqa: F821 - injected by traitlets when it loads this file

COURSE_ROOT = os.path.dirname(os.path.abspath(__file__))

c.CourseDirectory.root = COURSE_ROOT
c.CourseDirectory.course_id = "lstms-for-nlp"
c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "assignments"
# submitted/, autograded/, feedback/ and gradebook.db keep nbgrader's defaults under COURSE_ROOT.

# Execution. nbgrader's default is 30 s per cell; the longest graded cell here (training 3 seeds
# of one model in a2) takes ~5 s on an idle 2-core CPU. 90 s leaves room for a busy grading
# machine while still stopping an infinite loop within minutes.
c.Execute.timeout = 90
c.Execute.startup_timeout = 120  # kernel start + first TensorFlow import on a cold, busy disk
c.Execute.interrupt_on_timeout = True

# Kernel-level noise reduction: kernels inherit this process's environment, so the course's own
# TensorFlow settings (lstm_course.env: C++ log level 3, oneDNN off for repeatable numbers) apply
# even when a submission imports TensorFlow before the setup cell. This cannot silence everything
# (Python warnings, absl, a student's own prints to stderr), hence StderrIsNotFailure below.
try:  # the course package ships the preprocessors; fall back to this checkout if not installed
    from lstm_course.nbgrader_plugins import HideHiddenTestsInFeedback, StderrIsNotFailure
except ImportError:  # pragma: no cover - depends on the install
    sys.path.insert(0, COURSE_ROOT)
    from lstm_course.nbgrader_plugins import HideHiddenTestsInFeedback, StderrIsNotFailure
from lstm_course.env import _quiet_tensorflow  # noqa: E402 - sets environment variables only

_quiet_tensorflow()

# nbgrader 0.9 scores a test cell 0 when it has ANY stderr output, and TensorFlow writes to
# stderr. StderrIsNotFailure (in place of nbgrader's IgnorePattern) keeps that text as ordinary
# output after execution and before SaveAutoGrades; exceptions still score 0.
c.Autograde.autograde_preprocessors = [
    Execute,
    StderrIsNotFailure,
    ClearMetadataPreprocessor,
    LimitOutput,
    SaveAutoGrades,
    AssignLatePenalties,
    CheckCellMetadata,
]

# Feedback: nbgrader shows the hidden tests (restored during autograding) unless told otherwise.
c.GenerateFeedback.preprocessors = [GetGrades, HideHiddenTestsInFeedback, CSSHTMLHeaderPreprocessor]
