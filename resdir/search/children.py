"""Index-writer worker processes die with the process that started them.

`reindex --procs N` forks N Whoosh writer processes (multiprocessing, fork start method) that
wait on a queue for work. If their parent is killed (kill -9, OOM killer), nothing ever
tells them to stop: they used to live on, 360 MB each, holding the new generation's files.
Each child now asks the kernel to SIGKILL it when its parent dies (Linux prctl
PR_SET_PDEATHSIG); elsewhere a watchdog thread polls the parent's pid.
"""

from __future__ import annotations

import ctypes
import multiprocessing.util
import os
import signal
import sys
import threading
import time

PR_SET_PDEATHSIG = 1


class _Hook:
    """multiprocessing keeps after-fork hooks in a weak dictionary: this object keeps ours."""


_HOOK = _Hook()
_registered = False
_parent_pid = 0


def die_with_parent() -> None:
    """From now on, every multiprocessing child forked by this process dies with it."""
    global _registered, _parent_pid  # noqa: PLW0603  (one registration per process)
    _parent_pid = os.getpid()
    if not _registered:
        multiprocessing.util.register_after_fork(_HOOK, _in_child)
        _registered = True


def _in_child(_hook) -> None:
    parent = _parent_pid
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    else:
        threading.Thread(target=_watch, args=(parent,), daemon=True).start()
    if os.getppid() != parent:  # the parent died before the request took effect
        os._exit(1)


def _watch(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(1.0)
    os._exit(1)
