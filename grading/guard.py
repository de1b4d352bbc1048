"""Integrity guard: code the grader runs *inside* the kernel around every test cell.

Student code shares the kernel process with the tests, so it can try to make a failing test look
like a pass: redefine ``np.allclose`` or a builtin, silence IPython's error display or display
hook, register input transformers, trace hooks or custom exception handlers, or hand the test an
object whose ``==`` is always true. Before each test cell the guard puts back everything it
snapshotted when the kernel started (before any student code ran), so the test runs against the
real functions. After the test cell it checks again; what it finds is reported, and a test that
passed in the presence of tampering it cannot undo counts as failed.

Limits (also in docs/safe_grading.md): the guard is Python running in the student's process. It
defeats the tampering above, but code written specifically against the guard (e.g. rewriting the
kernel's message loop with ctypes) could still forge a reply. The sandbox guarantees that such
code can only ever affect its own grade, and every guard finding is written to the report.
"""
from __future__ import annotations

import json

RESULT_NAME = "_grading_guard_result"

# Runs once, before any student code. Everything lives in one module object so the student's
# namespace is not polluted.
BOOTSTRAP = r'''
def _grading_guard_bootstrap():
    import builtins, sys, types, threading, math, operator, importlib, os
    guard = types.ModuleType("_grading_guard")
    ip = get_ipython()
    modules = {}
    saved_path = list(sys.path)
    sys.path[:] = [p for p in sys.path if p not in ("", ".", os.getcwd())]
    for name in ("builtins", "json", "math", "operator", "numpy", "numpy.testing", "numpy.linalg",
                 "lstm_course.checks"):
        try:
            modules[name] = importlib.import_module(name)
        except Exception:
            pass
    sys.path[:] = saved_path
    # the kernel runs with python -P: the student's own modules stay importable, but from the
    # end of sys.path, where they cannot shadow an installed module
    if os.getcwd() not in sys.path:
        sys.path.append(os.getcwd())
    # Snapshots taken now, while only trusted code has run.
    mod_snap = {name: dict(vars(mod)) for name, mod in modules.items()}
    classes = []
    for obj in (ip, ip.displayhook, ip.display_pub, getattr(ip, "kernel", None),
                getattr(getattr(ip, "kernel", None), "session", None), sys.stdout, sys.stderr,
                getattr(ip, "compile", None), getattr(ip, "InteractiveTB", None),
                getattr(ip, "SyntaxTB", None), getattr(ip, "events", None),
                ip.display_formatter, *ip.display_formatter.formatters.values()):
        if obj is None:
            continue
        for cls in type(obj).__mro__:
            if cls.__module__.split(".")[0] in ("IPython", "ipykernel", "jupyter_client") \
                    and cls not in classes:
                classes.append(cls)
    cls_snap = {cls: dict(vars(cls)) for cls in classes}
    inst_names = ("showtraceback", "_showtraceback", "showsyntaxerror", "showindentationerror",
                  "run_cell", "run_cell_async", "run_code", "run_ast_nodes", "should_run_async",
                  "transform_cell", "excepthook", "CustomTB", "displayhook", "display_pub",
                  "display_trap", "InteractiveTB", "SyntaxTB", "compile", "kernel",
                  "_format_exception_for_storage", "user_expressions", "display_formatter")
    inst_snap = {n: ip.__dict__.get(n, guard) for n in inst_names}
    trait_names = ("custom_exceptions", "displayhook", "display_pub", "InteractiveTB", "compile")
    trait_snap = {n: ip._trait_values.get(n, guard) for n in trait_names}
    kernel = getattr(ip, "kernel", None)
    callable_types = (types.FunctionType, types.MethodType, types.BuiltinFunctionType)
    kernel_snap = {k: v for k, v in vars(kernel).items() if isinstance(v, callable_types)} \
        if kernel is not None else {}
    list_targets = lambda: {
        "ast_transformers": ip.ast_transformers,
        "input_transformers_post": ip.input_transformers_post,
        "input_transformers_cleanup": ip.input_transformer_manager.cleanup_transforms,
        "line_transforms": ip.input_transformer_manager.line_transforms,
    }
    # the guard's answer travels as a user expression, formatted by IPython's text formatter:
    # printers a student registers for str would rewrite it
    printer_snap = {(mime, kind): dict(getattr(fmt, kind))
                    for mime, fmt in ip.display_formatter.formatters.items()
                    for kind in ("type_printers", "deferred_printers", "singleton_printers")
                    if isinstance(getattr(fmt, kind, None), dict)}
    formatters_snap = dict(ip.display_formatter.formatters)
    sys_snap = {n: getattr(sys, n) for n in ("displayhook", "excepthook", "stdout", "stderr",
                                              "breakpointhook", "unraisablehook")}
    trust_cache = {}
    def trusted_file(filename):
        if not filename or filename.startswith("<"):
            return True
        known = trust_cache.get(filename)
        if known is None:  # realpath is a system call: ~50,000 functions once TF is loaded
            real = os.path.realpath(filename)
            known = trust_cache[filename] = any(real.startswith(r) for r in guard.trusted_roots)
        return known
    def untrusted_function(value):
        if isinstance(value, (types.MethodType, classmethod, staticmethod)):
            value = value.__func__
        if not isinstance(value, types.FunctionType):
            return False
        return not trusted_file(value.__code__.co_filename)
    def untrusted_object(value):
        if untrusted_function(value):
            return True
        try:
            return any(untrusted_function(v) for v in vars(type(value)).values())
        except TypeError:
            return False
    guard.trusted_roots = tuple(sorted({os.path.realpath(p) + "/" for p in (
        sys.prefix, sys.base_prefix, os.path.dirname(os.__file__))} | {
        os.path.dirname(os.path.realpath(m.__file__)) + "/" for m in modules.values()
        if getattr(m, "__file__", None)}))
    def restore():
        """Put back every snapshotted object; return the names that had been changed."""
        changed = []
        for name, snap in mod_snap.items():
            mod = modules[name]
            current = vars(mod)
            for key, value in snap.items():
                if name == "builtins" and key in ("input", "raw_input", "getpass"):
                    continue  # ipykernel swaps these in for every execution
                if current.get(key, guard) is not value:
                    changed.append(f"{name}.{key}")
                    setattr(mod, key, value)
        for cls, snap in cls_snap.items():
            current = dict(vars(cls))
            for key, value in snap.items():
                if current.get(key, guard) is not value:
                    changed.append(f"{cls.__module__}.{cls.__qualname__}.{key}")
                    setattr(cls, key, value)
            for key in current.keys() - snap.keys():
                if untrusted_function(current[key]):
                    changed.append(f"{cls.__module__}.{cls.__qualname__}.{key}")
                    delattr(cls, key)
        for key, was in inst_snap.items():
            now = ip.__dict__.get(key, guard)
            if now is not was:
                changed.append(f"shell.{key}")
                if was is guard:
                    del ip.__dict__[key]
                else:
                    ip.__dict__[key] = was
        for key, was in trait_snap.items():
            if was is not guard and ip._trait_values.get(key, guard) is not was:
                changed.append(f"shell.{key}")
                ip._trait_values[key] = was
        if kernel is not None:
            for key, value in kernel_snap.items():
                if kernel.__dict__.get(key, guard) is not value:
                    changed.append(f"kernel.{key}")
                    kernel.__dict__[key] = value
            for key, value in list(vars(kernel).items()):
                if key not in kernel_snap and untrusted_function(value):
                    changed.append(f"kernel.{key}")
                    del kernel.__dict__[key]
        for key, target in list_targets().items():
            planted = [entry for entry in target if untrusted_object(entry)]
            if planted:
                changed.append(f"shell.{key}")
                target[:] = [entry for entry in target if entry not in planted]
        for key, callbacks in ip.events.callbacks.items():
            planted = [cb for cb in callbacks if untrusted_object(cb)]
            if planted:
                changed.append(f"shell.events.{key}")
                callbacks[:] = [cb for cb in callbacks if cb not in planted]
        if dict(ip.display_formatter.formatters) != formatters_snap:
            changed.append("shell.display_formatter.formatters")
            ip.display_formatter.formatters.clear()
            ip.display_formatter.formatters.update(formatters_snap)
        for (mime, kind), snap in printer_snap.items():
            current = getattr(ip.display_formatter.formatters[mime], kind)
            if current != snap:
                changed.append(f"shell.display_formatter[{mime}].{kind}")
                current.clear()
                current.update(snap)
        for key, value in sys_snap.items():
            now = getattr(sys, key)
            if now is not value and untrusted_object(now):
                changed.append(f"sys.{key}")
                setattr(sys, key, value)
        if sys.gettrace() is not None or sys.getprofile() is not None:
            changed.append("sys.settrace/setprofile")
            sys.settrace(None)
            sys.setprofile(None)
        if threading._trace_hook is not None or threading._profile_hook is not None:
            changed.append("threading.settrace/setprofile")
            threading.settrace(None)
            threading.setprofile(None)
        return changed
    def shadows_installed(name):
        import importlib.machinery
        if name in sys.stdlib_module_names or name in sys.builtin_module_names:
            return True
        clean = [p for p in sys.path if p not in ("", ".", os.getcwd())]
        return importlib.machinery.PathFinder.find_spec(name, clean) is not None
    def foreign_code():
        """Functions from student code planted in library modules, and student classes that
        override comparison or conversion (an object whose == is always true)."""
        found = []
        for modname, mod in list(sys.modules.items()):
            if modname in ("__main__", "_grading_guard") or mod is None \
                    or mod is sys.modules.get("__main__") or getattr(mod, "__dict__", None) is ip.user_ns:
                continue
            origin = getattr(mod, "__file__", None) or ""
            if origin and not trusted_file(origin) and "." not in modname \
                    and shadows_installed(modname):
                found.append(f"module {modname} is the student's file {origin}, shadowing the real one")
            try:
                items = list(vars(mod).items())
            except TypeError:
                continue
            for key, value in items:
                if getattr(value, "__module__", None) != modname and untrusted_function(value):
                    found.append(f"{modname}.{key} is student code")
        for thread in threading.enumerate():
            target = getattr(thread, "_target", None)
            if untrusted_function(target) or untrusted_function(getattr(type(thread), "run", None)):
                found.append(f"a thread running student code is alive ({thread.name}): it could "
                             "undo and redo changes around the test")
        dunders = ("__eq__", "__ne__", "__lt__", "__le__", "__gt__", "__ge__", "__bool__",
                   "__float__", "__int__", "__index__", "__complex__", "__array__",
                   "__array_ufunc__", "__array_function__")
        stack, seen = [object], set()
        while stack:
            cls = stack.pop()
            try:
                subclasses = type.__subclasses__(cls)
            except TypeError:
                continue
            for sub in subclasses:
                if id(sub) in seen:
                    continue
                seen.add(id(sub))
                stack.append(sub)
                own = vars(sub)
                for name in dunders:
                    if untrusted_function(own.get(name)):
                        found.append(f"class {sub.__qualname__} overrides {name}")
                        break
        return found
    def check(phase):
        return {"phase": phase, "changed": restore(),
                "foreign": foreign_code() if phase == "after" else []}
    guard.check = check
    guard.modules = modules
    sys.modules["_grading_guard"] = guard
_grading_guard_bootstrap()
del _grading_guard_bootstrap
'''


def _check_code_digest() -> str:
    """Digest of the guard's ``check`` function as compiled from BOOTSTRAP by this interpreter."""
    import hashlib  # noqa: PLC0415

    def find(code, name):
        for const in code.co_consts:
            if hasattr(const, "co_code"):
                if const.co_name == name:
                    return const
                found = find(const, name)
                if found is not None:
                    return found
        return None

    check = find(compile(BOOTSTRAP, "<guard>", "exec"), "check")
    return hashlib.sha256(check.co_code).hexdigest()


def check_code(phase: str) -> str:
    """Code for a silent request; its result comes back as a user expression.

    The request verifies that the guard's ``check`` is still the function the grader sent (a
    student could otherwise swap in one that always says "clean"), and serialises the result
    only after ``check`` has restored the ``json`` module.
    """
    return (f"import sys as _gs, json as _gj, hashlib as _gh\n"
            f"_gc = _gs.modules['_grading_guard'].check\n"
            f"if _gh.sha256(_gc.__code__.co_code).hexdigest() != {_check_code_digest()!r}:\n"
            f"    raise RuntimeError('the integrity guard was replaced')\n"
            f"_gr = _gc({phase!r})\n"
            f"{RESULT_NAME} = _gs.modules['json'].dumps(_gr)\n"
            f"del _gs, _gj, _gh, _gc, _gr\n")


def parse_result(reply: dict | None) -> dict | None:
    """The guard's findings from an execute_reply, or None when the guard did not answer."""
    if not reply or reply.get("content", {}).get("status") != "ok":
        return None
    expr = reply["content"].get("user_expressions", {}).get(RESULT_NAME, {})
    if expr.get("status") != "ok":
        return None
    text = expr.get("data", {}).get("text/plain", "")
    try:
        import ast  # noqa: PLC0415

        return json.loads(ast.literal_eval(text))
    except (ValueError, SyntaxError):
        return None
