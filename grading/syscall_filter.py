"""A seccomp filter that makes the kernel keyring system calls fail in a submission's kernel.

Why: the Linux kernel keyring of a uid outlives its processes. Every submission graded in one
worker slot runs as the same sandbox uid, and bubblewrap (without a user namespace) does not
separate keyrings, so one submission could leave its probe answers in the keyring and a later one
replay them (red team, issue 10). Nothing honest in a notebook uses `add_key`, `request_key` or
`keyctl`, so they fail with EPERM.

How: FILTER_EXEC is a few lines of Python run by the sandbox's own interpreter just before
`setpriv` (still as root, so it works whatever the uid's file permissions): it sets no_new_privs,
installs the classic-BPF program below with prctl(PR_SET_SECCOMP) and execs the rest of the
command; the filter is inherited by every process the kernel starts. It is written out here
rather than with libseccomp because the filter must be installed inside the sandbox by the
sandbox's Python, which has only the standard library; the program is 18 instructions.
"""
from __future__ import annotations

import struct

# (AUDIT_ARCH_*, add_key, request_key, keyctl) per architecture (asm/unistd.h)
ARCHES = ((0xC000003E, (248, 249, 250)),  # x86_64 (x32 numbers, 0x40000000 and up, are refused too)
          (0xC00000B7, (217, 218, 219)))  # aarch64
X32_BIT = 0x40000000
EPERM = 1
_LD_ABS_W, _JEQ_K, _JGE_K, _RET_K = 0x20, 0x15, 0x35, 0x06
_ALLOW, _ERRNO = 0x7FFF0000, 0x00050000
_ARCH_OFFSET, _NR_OFFSET = 4, 0  # struct seccomp_data


def program() -> bytes:
    """The filter as struct sock_filter[] bytes (code u16, jt u8, jf u8, k u32)."""
    ops: list[tuple] = [("ld", _ARCH_OFFSET)]
    for index, (arch, numbers) in enumerate(ARCHES):
        ops.append(("jeq", arch, None, f"next{index}"))  # not this arch: try the next one
        ops.append(("ld", _NR_OFFSET))
        if index == 0:
            ops.append(("jge", X32_BIT, "deny", None))
        ops += [("jeq", n, "deny", None) for n in numbers]
        ops.append(("ret", _ALLOW))
        ops.append(("label", f"next{index}"))
        ops.append(("ld", _ARCH_OFFSET))
    ops.append(("ret", _ALLOW))  # an architecture not listed: nothing to refuse by number
    ops.append(("label", "deny"))
    ops.append(("ret", _ERRNO | EPERM))
    labels, pc = {}, 0
    for op in ops:
        if op[0] == "label":
            labels[op[1]] = pc
        else:
            pc += 1
    out, pc = b"", 0
    for op in ops:
        if op[0] == "label":
            continue
        if op[0] == "ld":
            out += struct.pack("=HBBI", _LD_ABS_W, 0, 0, op[1])
        elif op[0] == "ret":
            out += struct.pack("=HBBI", _RET_K, 0, 0, op[1])
        else:
            code = _JEQ_K if op[0] == "jeq" else _JGE_K
            jt = labels[op[2]] - pc - 1 if op[2] else 0
            jf = labels[op[3]] - pc - 1 if op[3] else 0
            out += struct.pack("=HBBI", code, jt, jf, op[1])
        pc += 1
    return out


FILTER_EXEC = """
import ctypes, os, sys
code = bytes.fromhex(sys.argv[1])
libc = ctypes.CDLL(None, use_errno=True)
buffer = ctypes.create_string_buffer(code)
class Prog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]
prog = Prog(len(code) // 8, ctypes.cast(buffer, ctypes.c_void_p))
if libc.prctl(38, 1, 0, 0, 0) != 0 or libc.prctl(22, 2, ctypes.byref(prog), 0, 0) != 0:
    sys.exit("cannot install the grading syscall filter: errno %d" % ctypes.get_errno())
os.execvp(sys.argv[2], sys.argv[2:])
"""


def wrap(command: list[str], python: str) -> list[str]:
    """``command`` run under the filter (PR_SET_NO_NEW_PRIVS = 38, PR_SET_SECCOMP = 22, mode 2)."""
    return [python, "-c", FILTER_EXEC, program().hex(), *command]
