"""Own work: which course functions an assignment asks students to write, and finding their use.

The course package holds reference implementations of what the assignments ask for (the lessons use
them). `RESERVED` lists them per assignment; `find_reserved_uses(source, reserved)` reads an answer
cell's source with `ast` (never by string matching) and returns one readable finding per way the
source reaches a reserved function: imports (aliases, `from ... import *`), attribute access on the
module or an alias of it, `getattr`/`vars`/`__dict__`, `importlib.import_module`, `__import__`,
`sys.modules[...]`, `runpy`, string-built names that are visible statically, and `exec`/`eval` of
code (checked when the code is a literal, flagged when it is built at run time).

The verdict is reached by the grader, outside the student's process; `announce(assignment)` only gives
learners the same finding at once, as they run a cell.
"""
from __future__ import annotations

import ast
import re
import functools
from pathlib import Path

RESERVED: dict[str, dict[str, list[str]]] = {
    "a1_lstm_concepts": {
        "lstm_course.numpy_lstm": ["lstm_step", "lstm_forward", "split_gates", "param_count", "run_fixed_gates"],
        "lstm_course.models": ["lstm_param_count"],
        "lstm_course.gate_trace": ["trace_gates"],
    },
    "a2_rnn_vs_lstm_stability": {
        "lstm_course.stability": ["loss_spike", "epochs_at_chance", "spread", "stability_table"],
        "lstm_course.models": ["build_sequence_classifier", "recurrent_layer"],
    },
    "a3_next_word": {
        "lstm_course.next_word": [
            "make_prefixes", "pad_prefixes", "split_inputs_and_targets", "make_training_data",
            "continuation_counts", "bayes_optimal_accuracy", "lowest_possible_loss",
            "build_next_word_model", "train_next_word_model", "encode", "next_word_probabilities",
            "predict_next_word", "top_k_chart_data", "generate",
            "_check_k", "_fit_context", "_probabilities_for_ids", "_top_k",
        ],
    },
}

# Calls whose first argument names a module to load: a reserved module reached this way is flagged.
_DYNAMIC_IMPORTERS = {"importlib.import_module", "__import__", "runpy.run_module", "runpy.run_path",
                      "importlib.util.find_spec", "importlib.reload", "import_module"}
_CODE_RUNNERS = {"exec", "eval", "compile", "builtins.exec", "builtins.eval", "builtins.compile",
                 "__builtins__.exec", "__builtins__.eval", "__builtins__.compile"}
# IPython's own ways to run a string as code: method name -> which argument holds the code
_IPYTHON_RUNNERS = {"run_cell": 0, "run_cell_magic": 2, "run_line_magic": 1, "ex": 0, "ev": 0,
                    "safe_execfile": 0, "run_code": 0}


def reserved_for(assignment: str) -> dict[str, list[str]]:
    """RESERVED[assignment], with a clear error for an unknown assignment."""
    if assignment not in RESERVED:
        raise KeyError(f"no own-work rules for {assignment!r}; known: {', '.join(sorted(RESERVED))}")
    return RESERVED[assignment]


def _unwrap_code_magics(source: str) -> str:
    """`%time x = f()` -> `x = f()`; a `%%time` (timeit, capture, prun, writefile ...) first line
    -> dropped, so the cell's body is checked as Python."""
    lines = source.splitlines()
    if lines and re.match(r"^\s*%%(time|timeit|prun|capture|writefile|debug)\b", lines[0]):
        lines[0] = ""  # kept as a blank line: findings keep the cell's line numbers
    out = []
    for line in lines:
        match = re.match(r"^(\s*)%(time|timeit|prun|debug)\s+(?:-\S+\s+(?:\d+\s+)?)*(.*)$", line)
        out.append(match.group(1) + match.group(3) if match else line)
    return "\n".join(out) + "\n"


def _as_python(source: str) -> str:
    """A cell as IPython runs it: magics (`%time ...`) and shell escapes turned into Python, so a
    magic line cannot hide an import below it from the check."""
    source = _unwrap_code_magics(source)
    try:
        from IPython.core.inputtransformer2 import TransformerManager  # noqa: PLC0415
    except ImportError:
        return source
    try:
        return TransformerManager().transform_cell(source)
    except Exception:  # noqa: BLE001 - an untransformable cell is checked as it is
        return source


def find_reserved_uses(source: str, reserved: dict) -> list[str]:
    """Readable findings, one per use of a reserved function in `source` (empty list: own work).

    `reserved` maps a dotted module name to the function names a student must write themselves.
    Source that does not parse is returned as no finding (the cell fails on its own when run).
    """
    try:
        tree = ast.parse(_as_python(source))
    except SyntaxError:
        return []
    finder = _Finder({module: set(names) for module, names in reserved.items()})
    finder.visit(tree)
    return list(dict.fromkeys(finder.findings))  # unique, in order


def describe(findings: list[str], assignment: str | None = None) -> str:
    """The message a learner or an instructor reads for `findings`."""
    where = f" in {assignment}" if assignment else ""
    lines = [f"OWN WORK{where}: this cell uses course functions that the assignment asks you to write "
             "yourself; at grading, the tests of this part score 0 while it does."]
    lines += [f"  - {finding}" for finding in findings]
    return "\n".join(lines)


def announce(assignment: str, shell=None) -> None:
    """Warn at once, in the learner's notebook, when a cell that is run uses a reserved function.

    Registers an IPython `pre_run_cell` hook (once per assignment). This is feedback only: the grade is
    decided by the grader from the submitted source.
    """
    reserved = reserved_for(assignment)
    if shell is None:
        from IPython import get_ipython

        shell = get_ipython()
    if shell is None:
        return
    for callback in list(shell.events.callbacks.get("pre_run_cell", [])):
        if getattr(callback, "_own_work_assignment", None) == assignment:
            return

    def check_cell(info):
        findings = find_reserved_uses(getattr(info, "raw_cell", "") or "", reserved)
        if findings:
            print(describe(findings, assignment))

    check_cell._own_work_assignment = assignment
    shell.events.register("pre_run_cell", check_cell)


@functools.lru_cache(maxsize=1)
def package_reexports(package_dir: str = str(Path(__file__).resolve().parent)) -> dict[str, str]:
    """{"lstm_course.models.lstm_param_count": "lstm_course.numpy_lstm.param_count", ...}.

    Names that a module of the course package imports from another of its modules, read with `ast`
    from the package's own source, so that a reserved function is recognised under every path that
    reaches it (`lstm_course.gate_trace.lstm_forward`, `lstm_course.widgets.next_word.nw....`).
    """
    root = Path(package_dir)
    aliases = {}
    for path in sorted(root.rglob("*.py")):
        parts = [root.name, *path.relative_to(root).with_suffix("").parts]
        if parts[-1] == "__init__":
            parts = parts[:-1]
        module = ".".join(parts)
        package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
        try:
            tree = ast.parse(path.read_text())
        except (SyntaxError, UnicodeDecodeError):
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.level:
                base = package.split(".")
                base = base[:len(base) - (node.level - 1)]
                source = ".".join(base + ([node.module] if node.module else []))
                for alias in node.names:
                    if alias.name != "*":
                        aliases[f"{module}.{alias.asname or alias.name}"] = f"{source}.{alias.name}"
            elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith(root.name):
                for alias in node.names:
                    if alias.name != "*":
                        aliases[f"{module}.{alias.asname or alias.name}"] = f"{node.module}.{alias.name}"
    return aliases


def canonical(dotted: str, aliases: dict[str, str] | None = None) -> str:
    """The original path of `dotted` after following the package's re-exports."""
    aliases = package_reexports() if aliases is None else aliases
    for _ in range(10):  # re-exports of re-exports; bounded in case of a cycle
        parts = dotted.split(".")
        for cut in range(len(parts), 0, -1):
            prefix = ".".join(parts[:cut])
            if prefix in aliases:
                dotted = ".".join([aliases[prefix], *parts[cut:]])
                break
        else:
            return dotted
    return dotted


class _Finder(ast.NodeVisitor):
    """Tracks which local names stand for reserved modules or functions; records each use."""

    def __init__(self, reserved: dict[str, set[str]]):
        self.reserved = reserved
        self.tops = {m.split(".")[0] for m in reserved}
        self.aliases: dict[str, str] = {}  # local name -> dotted path it stands for
        self.strings: dict[str, str] = {}  # local name -> constant string assigned to it
        self.findings: list[str] = []

    # -------------------------------------------------------------- helpers

    def _flag(self, node, text):
        self.findings.append(f"line {getattr(node, 'lineno', '?')}: {text}")

    def _is_reserved_function(self, dotted: str) -> bool:
        module, _, name = dotted.rpartition(".")
        return name in self.reserved.get(module, ())

    def _string(self, node) -> str | None:
        """The value of a string expression when it is visible statically, else None."""
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return node.value
        if isinstance(node, ast.Name):
            return self.strings.get(node.id)
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            left, right = self._string(node.left), self._string(node.right)
            return None if left is None or right is None else left + right
        if isinstance(node, ast.JoinedStr):
            parts = []
            for value in node.values:
                part = self._string(value.value if isinstance(value, ast.FormattedValue) else value)
                if part is None:
                    return None
                parts.append(part)
            return "".join(parts)
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "join"
                and len(node.args) == 1 and isinstance(node.args[0], (ast.List, ast.Tuple))):
            sep = self._string(node.func.value)
            items = [self._string(item) for item in node.args[0].elts]
            return None if sep is None or None in items else sep.join(items)
        return None

    def _dotted(self, node) -> str | None:
        """The dotted path an expression stands for (`alias.attr`, `__import__("m")`, ...), else None."""
        dotted = self._raw_dotted(node)
        return None if dotted is None else canonical(dotted)

    def _raw_dotted(self, node) -> str | None:
        if isinstance(node, ast.Name):
            return self.aliases.get(node.id, node.id)
        if isinstance(node, ast.Attribute):
            base = self._dotted(node.value)
            return None if base is None else f"{base}.{node.attr}"
        if isinstance(node, ast.Call):
            func = self._dotted(node.func)
            if func in _DYNAMIC_IMPORTERS and node.args:
                name = self._string(node.args[0])
                if name is not None:
                    return name if func != "__import__" else name.split(".")[0]
            if func in {"getattr", "builtins.getattr"} and len(node.args) >= 2:
                base, name = self._dotted(node.args[0]), self._string(node.args[1])
                if base is not None and name is not None:
                    return f"{base}.{name}"
        if isinstance(node, ast.Subscript):
            if self._dotted(node.value) == "sys.modules":
                return self._string(node.slice)
        return None

    def _check_dotted(self, node, dotted: str | None) -> bool:
        if dotted and self._is_reserved_function(dotted):
            module, _, name = dotted.rpartition(".")
            self._flag(node, f"uses {name} from {module} (reserved: write it yourself)")
            return True
        return False

    def _module_name_in_string(self, text: str) -> str | None:
        for module in self.reserved:
            if text == module or text.endswith(module.rsplit(".", 1)[1] + ".py") or text == module.replace(".", "/"):
                return module
        return None

    # -------------------------------------------------------------- imports and names

    def visit_Import(self, node):
        for alias in node.names:
            if alias.asname:
                self.aliases[alias.asname] = alias.name
            else:
                top = alias.name.split(".")[0]
                self.aliases[top] = top
        self.generic_visit(node)

    def visit_ImportFrom(self, node):
        module = node.module or ""
        if node.level:  # relative imports cannot reach the installed package from a notebook cell
            return
        for alias in node.names:
            if alias.name == "*":
                names = sorted(self.reserved.get(module, ()))
                if names:
                    self._flag(node, f"imports everything from {module}, including reserved {', '.join(names)}")
                continue
            dotted = canonical(f"{module}.{alias.name}")
            self._check_dotted(node, dotted)
            self.aliases[alias.asname or alias.name] = dotted

    def visit_Assign(self, node):
        self.generic_visit(node)
        value = self._string(node.value)
        dotted = self._dotted(node.value)
        for target in node.targets:
            if isinstance(target, ast.Name):
                if value is not None:
                    self.strings[target.id] = value
                if dotted and dotted.split(".")[0] in self.tops:
                    self.aliases[target.id] = dotted

    def visit_Attribute(self, node):
        dotted = self._dotted(node)
        if not self._check_dotted(node, dotted):
            base = self._dotted(node.value)
            if base in self.reserved and node.attr.startswith("__"):
                self._flag(node, f"reads {node.attr} of {base}, which holds reserved functions")
            self.generic_visit(node)

    def visit_Name(self, node):
        if isinstance(node.ctx, ast.Load):
            self._check_dotted(node, self.aliases.get(node.id))

    def visit_Call(self, node):
        func = self._dotted(node.func)
        if func in {"getattr", "builtins.getattr", "vars", "dir", "inspect.getmembers"} and node.args:
            base = self._dotted(node.args[0])
            if base in self.reserved:
                name = self._string(node.args[1]) if len(node.args) > 1 else None
                if func.endswith("getattr") and name is not None:
                    self._check_dotted(node, f"{base}.{name}")
                elif not (func.endswith("getattr") and name is not None):
                    self._flag(node, f"looks up names of {base} at run time ({func}); it holds reserved functions")
        elif func in _DYNAMIC_IMPORTERS and node.args:
            name = self._string(node.args[0])
            if name is None:
                self._flag(node, f"imports a module whose name is built at run time ({func}); name it literally")
            elif self._module_name_in_string(name) or name in self.reserved:
                self._flag(node, f"loads {name} dynamically ({func}); it holds reserved functions")
        elif (isinstance(node.func, ast.Attribute) and node.func.attr in _IPYTHON_RUNNERS
              and len(node.args) > _IPYTHON_RUNNERS[node.func.attr]):
            code = self._string(node.args[_IPYTHON_RUNNERS[node.func.attr]])
            name = f"get_ipython().{node.func.attr}"
            if code is None:
                self._flag(node, f"runs code built at run time ({name}); it cannot be checked for own work")
            else:
                for finding in find_reserved_uses(code, self.reserved):
                    self._flag(node, f"in {name}(...): {finding}")
        elif func in _CODE_RUNNERS and node.args:
            code = self._string(node.args[0])
            if code is None:
                self._flag(node, f"runs code built at run time ({func}); it cannot be checked for own work")
            else:
                for finding in find_reserved_uses(code, self.reserved):
                    self._flag(node, f"in {func}(...): {finding}")
        self.generic_visit(node)

    def visit_Subscript(self, node):
        if self._dotted(node.value) == "sys.modules":
            name = self._string(node.slice)
            if name is None:
                self._flag(node, "looks a module up in sys.modules by a name built at run time")
            elif name in self.reserved:
                self._flag(node, f"reaches {name} through sys.modules; it holds reserved functions")
        self.generic_visit(node)

    def visit_Constant(self, node):
        if isinstance(node.value, str) and len(node.value) < 200:
            module = self._module_name_in_string(node.value)
            if module and node.value != module:
                self._flag(node, f"refers to the file of {module}, which holds reserved functions")
