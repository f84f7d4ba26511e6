"""The kernel every build runs its notebook in: jupyter_client's own, over Unix sockets.

:class:`IPCKernelManager` is jupyter_client's ``AsyncKernelManager`` with the ZeroMQ ``ipc``
transport and a socket path of its own per kernel, instead of TCP ports on localhost that any local
user could reach (ipykernel warns about those on every start) and instead of jupyter_client's default
``kernel-ipc`` path in the current folder, which concurrent builds started from one folder would share
(they cross-talk: "Invalid Signature"). TCP where there are no Unix sockets. Public traitlets and
jupyter_client API only; the faster variants live behind the fence in :mod:`analysis.pipeline.fast`.
"""
from __future__ import annotations

import os
import tempfile
import uuid

from jupyter_client.manager import AsyncKernelManager
from traitlets import CaselessStrEnum, default

KERNEL = "python3"  # always passed explicitly: never trust a kernel name saved in a notebook
#: The kernelspec every committed notebook carries (the one every ipykernel install has).
GENERIC_KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": KERNEL}
# Unix socket paths are limited to ~107 bytes; a longer runtime folder falls back to the temp folder.
_MAX_SOCKET_PATH = 90


class IPCKernelManager(AsyncKernelManager):
    """AsyncKernelManager talking to its kernel over Unix domain sockets in Jupyter's runtime folder."""

    transport = CaselessStrEnum(["tcp", "ipc"], default_value="tcp" if os.name == "nt" else "ipc", config=True)

    @default("ip")
    def _ip_default(self):
        if self.transport != "ipc":
            from jupyter_client.localinterfaces import localhost

            return localhost()
        from jupyter_core.paths import jupyter_runtime_dir

        name = f"armsbrief-{uuid.uuid4().hex[:16]}-ipc"
        folder = jupyter_runtime_dir()
        if len(os.path.join(folder, name)) > _MAX_SOCKET_PATH:
            folder = tempfile.gettempdir()
        os.makedirs(folder, mode=0o700, exist_ok=True)
        return os.path.join(folder, name)


def papermill_options() -> dict:
    """Keyword arguments for ``papermill.execute_notebook`` on the plain path."""
    return {"kernel_manager_class": IPCKernelManager}
