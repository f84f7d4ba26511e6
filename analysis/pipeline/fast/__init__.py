"""The fence around every optional speed-up of a build: nothing outside this package imports its
modules; the build, the batch and the bench call only the functions below.

| speed-up | module | what it needs |
|---|---|---|
| kernel fork server: kernels forked from a warm process (batch, bench) | ``kernels``, ``warm`` | ``os.fork``; jupyter_client's private ``AsyncKernelManager._async_pre_start_kernel``, ``LocalProvisioner``'s ``process``/``pid``/``pgid`` attributes |
| readiness on the ``kernel_info`` reply, without the 0.2 s IOPub flush | ``kernels.ReadyClient`` | private ``KernelClient._handle_kernel_info_reply``, ``_async_is_alive`` |
| a stopped kernel polled every 5 ms, not every 0.1 s | ``kernels`` | private ``AsyncKernelManager._async_wait``, ``_async_is_alive`` |
| the fork server forked from a fresh worker only if it has no event loop | ``kernels._pristine`` | private ``asyncio.events._event_loop_policy`` |
| HTML page without the BeautifulSoup pass | ``html`` | public nbconvert API only |

Private names are checked once per process (:data:`REQUIRED`, :func:`missing`); if one is gone (a
new release renamed it) the speed-ups that need it are off, the build takes the plain path and says
so once on stderr. ``ARMSBRIEF_FAST=0`` turns every speed-up off.
"""
from __future__ import annotations

import functools
import importlib
import os
import sys

FAST_ENV = "ARMSBRIEF_FAST"
#: Private names the kernel speed-ups use: ``module``, ``attribute path`` (checked on the class).
REQUIRED = (
    ("jupyter_client.manager", "AsyncKernelManager._async_pre_start_kernel"),
    ("jupyter_client.manager", "AsyncKernelManager._async_wait"),
    ("jupyter_client.manager", "AsyncKernelManager._async_is_alive"),
    ("jupyter_client.asynchronous", "AsyncKernelClient._handle_kernel_info_reply"),
    ("jupyter_client.asynchronous", "AsyncKernelClient._async_is_alive"),
    ("jupyter_client.provisioning", "LocalProvisioner.launch_kernel"),
    ("asyncio.events", "_event_loop_policy"),
)
#: Instance attributes of LocalProvisioner that the fork provisioner sets (traits or plain attributes).
PROVISIONER_ATTRIBUTES = ("process", "pid", "pgid", "connection_info")


def enabled() -> bool:
    """False when ``ARMSBRIEF_FAST`` is 0/no/false/off: every build then takes the plain path."""
    return os.environ.get(FAST_ENV, "1").strip().lower() not in ("0", "no", "false", "off")


@functools.cache
def missing() -> tuple[str, ...]:
    """The private names of :data:`REQUIRED` this process's libraries do not have."""
    gone = []
    for module, path in REQUIRED:
        try:
            obj = importlib.import_module(module)
            for part in path.split("."):
                obj = getattr(obj, part)
        except (ImportError, AttributeError):
            gone.append(f"{module}.{path}")
    try:
        from jupyter_client.provisioning import LocalProvisioner

        instance = LocalProvisioner(kernel_id="check", kernel_spec=None)
        gone += [f"LocalProvisioner().{name}" for name in PROVISIONER_ATTRIBUTES if not hasattr(instance, name)]
    except Exception as err:  # noqa: BLE001 - any change of its constructor counts as missing
        gone.append(f"LocalProvisioner() ({type(err).__name__}: {err})")
    return tuple(gone)


@functools.cache
def _say_off(reason: str) -> None:
    print(f"armsbrief: fast kernels off ({reason}); builds take the plain path", file=sys.stderr)


def kernels_available() -> bool:
    """Whether the kernel speed-ups may run here (enabled, and every private name they need exists)."""
    if not enabled():
        return False
    gone = missing()
    if gone:
        _say_off("missing in the installed libraries: " + ", ".join(gone))
        return False
    return True


def papermill_options() -> dict:
    """Keyword arguments for ``papermill.execute_notebook``: the fast kernels where available, else the
    plain ones (:mod:`analysis.pipeline.kernel`)."""
    if kernels_available():
        from analysis.pipeline.fast import kernels

        return kernels.papermill_options()
    from analysis.pipeline import kernel

    return kernel.papermill_options()


def start_kernel_server(*, fork: bool = False) -> bool:
    """Start the kernel fork server for a process that builds many briefs; False where not available."""
    if not kernels_available():
        return False
    from analysis.pipeline.fast import kernels

    kernels.enable(fork=fork)
    return True


def stop_kernel_server() -> None:
    if "analysis.pipeline.fast.kernels" in sys.modules:
        sys.modules["analysis.pipeline.fast.kernels"].disable()


def kernel_server_running() -> bool:
    module = sys.modules.get("analysis.pipeline.fast.kernels")
    return bool(module and module.is_enabled())


def exporter_class(cls: type) -> type:
    """The exporter class a build uses: ``cls`` with the fast page render when speed-ups are on."""
    if not enabled():
        return cls
    from analysis.pipeline.fast.html import fast_exporter

    return fast_exporter(cls)


def preload_modules() -> list[str]:
    """Modules for a preload list (a batch's multiprocessing fork server): the kernel server's imports
    and, last, the warm-up (importing :mod:`analysis.pipeline.fast.warmed` runs a throwaway brief)."""
    if not kernels_available():
        return []
    from analysis.pipeline.fast.kernels import KERNEL_PRELOAD, PRELOAD

    return [*PRELOAD, *KERNEL_PRELOAD, "analysis.pipeline.fast.warmed"]
