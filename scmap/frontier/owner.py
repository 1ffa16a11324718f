"""Who holds a pick: `host:pid:random` owner tokens, and whether a holder is a dead process.

Every store records the owner of each in-flight pick; a pick whose owner is a process of this
machine that no longer exists (kill -9) is handed out again at once, others when their lease
expires.
"""

from __future__ import annotations

import os
import socket


def make_owner() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{os.urandom(4).hex()}"


def node_of(owner: str | None) -> str:
    """`host:pid:random` -> `host:pid`: the node (process) as a person sees it; `?` if none."""
    if not owner:
        return "?"
    return ":".join(owner.split(":")[:2])


def owner_is_dead_here(owner: str | None) -> bool:
    """A holder on this machine whose process is gone (kill -9) need not wait for its lease."""
    if not owner:
        return True
    host, _, rest = owner.partition(":")
    pid_text = rest.partition(":")[0]
    if host != socket.gethostname() or not pid_text.isdigit():
        return False
    try:
        os.kill(int(pid_text), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False
