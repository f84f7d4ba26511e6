"""Fast fresh kernels for processes that build several briefs (batch workers, the benchmark).

Starting the ``python3`` kernel costs about a second of CPU, and the brief's first cell imports
pandas, matplotlib and :mod:`analysis`: another one to two seconds. In a process that builds one
brief after another that start-up is paid again for every brief. :func:`enable` starts a *kernel
fork server*: one process that imports ipykernel and the brief's modules (:data:`PRELOAD`) once,
calls their ``warm_up()`` (a throwaway brief of another case: fonts opened, caches filled; see
:func:`analysis.pipeline.fast.warm.warm_up`) and then, for every build, forks a fresh kernel in a few
milliseconds. Each forked kernel is a new process that has never run a notebook (a copy of the fork
server): it executes exactly one notebook and is shut down afterwards, so no state passes from one
brief to the next, exactly as with a kernel started from scratch.

Used only through the fence (:mod:`analysis.pipeline.fast`: ``start_kernel_server``,
``papermill_options``), which ``analysis.pipeline.build._execute`` calls::

    papermill.execute_notebook(..., kernel_name=KERNEL, **fast.papermill_options())

:func:`papermill_options` gives a kernel manager that talks to the kernel over Unix domain sockets
(ZeroMQ ``ipc`` transport, not TCP ports on localhost). While the fork server is off (the default: a
one-off build such as ``armsbrief brief`` would start a server it never reuses) papermill starts its
kernel as usual; once :func:`enable` has run it gives the papermill/nbclient options that start the kernel
through the fork server (``kernel_manager_class``) and kill it right after the notebook ran
(``shutdown_kernel="immediate"``: its outputs are already in hand). The kernel command line, its
working directory and environment are the ones jupyter_client would use; whenever the request is
not the standard ``python -m ipykernel_launcher`` of this interpreter, or the fork server is gone,
the kernel is started the normal way.

The fork server imports the modules with the environment of the process at :func:`enable` time
(each kernel then gets the environment of its own launch); started as a new interpreter it runs
with ``OPENBLAS_NUM_THREADS=1`` and similar settings so that it has no helper threads when it forks
(a forked kernel therefore runs numpy's BLAS single-threaded, which no brief notices).
``enable(fork=True)`` instead forks the server from the calling process, inheriting its imports:
what batch workers do, each in its initializer while it is still a clean, single-threaded process.
The server exits when the process that started it exits (or calls :func:`disable`); kernels exit
when the server does.
"""
from __future__ import annotations

import atexit
import contextlib
import json
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time

__all__ = ["PRELOAD", "enable", "disable", "is_enabled", "papermill_options"]

log = logging.getLogger(__name__)

#: Modules the fork server imports (what the brief notebooks import in their first cells).
PRELOAD = ("analysis.report.brief", "analysis.report.screen")
#: ... and what every kernel imports while it starts (ipykernel's debugger pulls debugpy: ~0.1 s).
KERNEL_PRELOAD = ("ipykernel.ipkernel", "ipykernel.zmqshell", "ipykernel.debugger", "IPython.core.debugger",
                  "IPython.core.completerlib", "IPython.extensions.storemagic", "sqlite3",
                  "matplotlib_inline.backend_inline", "matplotlib.backends.backend_agg",
                  "matplotlib.backends.backend_svg", "IPython.core.oinspect", "IPython.utils.wildcard",
                  "tornado.platform.asyncio", "faulthandler")
#: Settings of every forked kernel: no command history (a brief never reads it back, and parallel
#: kernels would contend for IPython's one history database).
KERNEL_ARGS = ("--HistoryManager.enabled=False",)
#: Seconds between checks whether a kernel that was told to stop has exited.
POLL_S = 0.005
#: Seconds a starting kernel's IOPub first gets to deliver the idle status of a kernel_info request
#: before the request is repeated (it arrives within a millisecond once IOPub is connected).
IOPUB_WAIT_S = 0.01
# No helper threads in the fork server: forking a process with threads is unsafe.
_SINGLE_THREADED = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
                    "NUMEXPR_NUM_THREADS": "1"}

_lock = threading.Lock()
_server: "_ForkServer | None" = None


# ------------------------------------------------------------------------------------------ the server

def _serve(fd: int, preload: list[str]) -> None:
    """Main loop of the fork server process (started as ``python -c``, or forked: see :func:`enable`)."""
    script_dir = os.path.dirname(os.path.abspath(sys.argv[0])) if sys.argv and sys.argv[0] else ""
    if sys.path and sys.path[0] in ("", os.getcwd(), script_dir):  # as ipykernel_launcher does
        del sys.path[0]
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is for the builder; we exit on EOF
    signal.set_wakeup_fd(-1)  # nothing inherited from an event loop of the process we may be forked from
    import asyncio

    asyncio.set_event_loop_policy(None)
    sock = socket.socket(fileno=fd)
    import importlib

    import ipykernel.kernelapp  # noqa: F401 - the kernel itself

    os.environ.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")  # debugpy's import-time warning
    for name in (*KERNEL_PRELOAD, *preload):
        try:
            importlib.import_module(name)
        except Exception as err:  # noqa: BLE001 - the notebook will raise it properly
            print(f"armsbrief fork server: could not import {name}: {err}", file=sys.stderr)
    with contextlib.suppress(Exception):
        import matplotlib.font_manager  # noqa: F401 - loads the font list once
    _warm_up(preload)

    def reap(_signum, _frame):
        with contextlib.suppress(ChildProcessError):
            while os.waitpid(-1, os.WNOHANG)[0]:
                pass

    signal.signal(signal.SIGCHLD, reap)
    reader = sock.makefile("rb")
    sock.sendall(json.dumps({"ready": os.getpid()}).encode() + b"\n")
    for line in reader:
        try:
            request = json.loads(line)
            pid = os.fork()
        except Exception as err:  # noqa: BLE001
            sock.sendall(json.dumps({"error": f"{type(err).__name__}: {err}"}).encode() + b"\n")
            continue
        if pid == 0:  # the kernel
            code = 1
            try:
                reader.close()
                sock.close()
                signal.signal(signal.SIGCHLD, signal.SIG_DFL)
                signal.signal(signal.SIGINT, signal.default_int_handler)
                os.setsid()  # its own process group, like a kernel jupyter_client starts
                os.chdir(request["cwd"])
                os.environ.clear()
                os.environ.update(request["env"])
                # What a kernel started from scratch reads from its environment at import time, which
                # here happened in the server: the parent to watch (the kernel exits with this server)
                # and matplotlib's backend (ipykernel's inline backend unless MPLBACKEND says otherwise).
                os.environ["JPY_PARENT_PID"] = str(os.getppid())
                os.environ.setdefault("MPLBACKEND", "module://matplotlib_inline.backend_inline")
                if "matplotlib" in sys.modules:
                    with contextlib.suppress(Exception):  # an invalid name fails in the notebook instead
                        sys.modules["matplotlib"].rcParams["backend"] = os.environ["MPLBACKEND"]
                sys.argv = [ipykernel.__file__, *request["args"], *KERNEL_ARGS,
                            f"--IPKernelApp.parent_handle={os.getppid()}"]
                from ipykernel.kernelapp import IPKernelApp

                IPKernelApp.launch_instance()
                code = 0
            except SystemExit as exc:
                code = exc.code if isinstance(exc.code, int) else 0
            except BaseException:  # noqa: BLE001
                import traceback

                traceback.print_exc()
            finally:
                with contextlib.suppress(Exception):
                    sys.stdout.flush()
                    sys.stderr.flush()
                os._exit(code)
        sock.sendall(json.dumps({"pid": pid}).encode() + b"\n")


def _warm_up(preload: list[str]) -> None:
    """Run :func:`analysis.pipeline.fast.warm.warm_up` (a throwaway brief) once the brief modules are
    among ``preload``: kernels forked afterwards inherit warm caches, not results. A failure is reported
    and ignored (the build will meet the problem and report it)."""
    if not any(name.startswith("analysis.report") for name in preload):
        return
    try:
        from analysis.pipeline.fast.warm import warm_up

        warm_up()
    except Exception as err:  # noqa: BLE001
        print(f"armsbrief fork server: warm-up failed: {type(err).__name__}: {err}", file=sys.stderr)


def _wait(proc, timeout: float | None) -> int:
    """``Popen.wait`` for the process stand-ins below: poll until it ends or ``timeout`` passes."""
    deadline = None if timeout is None else time.monotonic() + timeout
    while proc.poll() is None:
        if deadline is not None and time.monotonic() > deadline:
            raise subprocess.TimeoutExpired(str(proc.pid), timeout)
        time.sleep(0.01)
    return proc.returncode


class _Child:
    """``subprocess.Popen``'s poll/wait/kill for a child made with ``os.fork``."""

    def __init__(self, pid: int):
        self.pid, self.returncode = pid, None

    def poll(self) -> int | None:
        if self.returncode is None:
            with contextlib.suppress(ChildProcessError):
                pid, status = os.waitpid(self.pid, os.WNOHANG)
                if not pid:
                    return None
                self.returncode = os.waitstatus_to_exitcode(status)
            if self.returncode is None:
                self.returncode = 0
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        return _wait(self, timeout)

    def kill(self) -> None:
        if self.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signal.SIGKILL)


class _ForkServer:
    """The builder's handle on the fork server process."""

    def __init__(self, preload: tuple[str, ...], fork: bool = False):
        self.python = sys.executable
        parent, child = socket.socketpair()
        if fork:
            self.process = self._fork(parent, child, preload)
        else:
            env = {**os.environ, **_SINGLE_THREADED}
            code = f"from analysis.pipeline.fast.kernels import _serve; _serve({child.fileno()}, {list(preload)!r})"
            self.process = subprocess.Popen([self.python, "-c", code], pass_fds=(child.fileno(),), env=env,
                                            stdin=subprocess.DEVNULL)
        child.close()
        self.sock = parent
        self.reader = parent.makefile("rb")
        self.lock = threading.Lock()
        self.ready = False

    @staticmethod
    def _fork(parent: socket.socket, child: socket.socket, preload: tuple[str, ...]) -> _Child:
        """The server as a fork of this process (which must have no other thread): it starts with
        every module this process has imported, so its own imports cost next to nothing."""
        pid = os.fork()
        if pid:
            return _Child(pid)
        code = 1
        try:  # the server: keep only the standard streams and its socket
            fd = child.fileno()
            os.closerange(3, fd)
            os.closerange(fd + 1, _max_fd())
            devnull = os.open(os.devnull, os.O_RDONLY)
            os.dup2(devnull, 0)
            os.close(devnull)
            _serve(fd, list(preload))
            code = 0
        except BaseException:  # noqa: BLE001
            import traceback

            traceback.print_exc()
        finally:
            os._exit(code)

    def alive(self) -> bool:
        return self.process.poll() is None

    def _reply(self) -> dict:
        line = self.reader.readline()
        if not line:
            raise RuntimeError("the kernel fork server has exited")
        return json.loads(line)

    def fork(self, args: list[str], env: dict, cwd: str) -> int:
        with self.lock:
            if not self.ready:
                reply = self._reply()
                if "ready" not in reply:
                    raise RuntimeError(f"kernel fork server: unexpected reply {reply!r}")
                self.ready = True
            self.sock.sendall(json.dumps({"args": args, "env": env, "cwd": cwd}).encode() + b"\n")
            reply = self._reply()
        if "pid" not in reply:
            raise RuntimeError(f"kernel fork server: {reply.get('error', reply)}")
        return int(reply["pid"])

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.reader.close()
            self.sock.close()
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def _pristine() -> bool:
    """True while this process has no other thread and no asyncio event loop (it has not run a
    kernel yet): only then may the fork server be forked from it."""
    if threading.active_count() > 1:
        return False
    import asyncio

    try:  # private names, checked by the fence (analysis.pipeline.fast.REQUIRED) before any use
        return asyncio.events._event_loop_policy is None or asyncio.events._event_loop_policy._local._loop is None
    except AttributeError:
        return False


def _max_fd() -> int:
    try:
        return max(256, os.sysconf("SC_OPEN_MAX"))
    except (ValueError, OSError):
        return 4096


# ------------------------------------------------------------------------------------------ jupyter_client side

class _ForkedProcess:
    """The parts of ``subprocess.Popen`` jupyter_client uses, for a kernel forked by the server
    (a child of the server, not of this process: polled through its pidfd / its pid)."""

    stdin = stdout = stderr = None

    def __init__(self, pid: int):
        self.pid = pid
        self.returncode: int | None = None
        try:
            self._pidfd: int | None = os.pidfd_open(pid)
        except (AttributeError, OSError):
            self._pidfd = None

    def poll(self) -> int | None:
        if self.returncode is not None:
            return self.returncode
        if self._pidfd is not None:
            import select

            if select.select([self._pidfd], [], [], 0)[0]:
                return self._finished()
            return None
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            return self._finished()
        except PermissionError:
            pass
        return None

    def _finished(self) -> int:
        self.returncode = 0  # the server reaps it; its status is not ours to read
        if self._pidfd is not None:
            with contextlib.suppress(OSError):
                os.close(self._pidfd)
            self._pidfd = None
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        return _wait(self, timeout)

    def send_signal(self, signum: int) -> None:
        if self.poll() is None:
            os.kill(self.pid, signum)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)


def _classes():
    """The provisioner and kernel manager classes (built lazily: jupyter_client is imported late)."""
    from jupyter_client.provisioning import LocalProvisioner

    class ForkProvisioner(LocalProvisioner):
        """LocalProvisioner that asks the fork server for the kernel process when it can."""

        async def launch_kernel(self, cmd, **kwargs):
            server = _server
            args = _ipykernel_args(cmd, server)
            if args is None or server is None or not server.alive():
                return await super().launch_kernel(cmd, **kwargs)
            env = dict(kwargs.get("env") or os.environ)
            cwd = str(kwargs.get("cwd") or os.getcwd())
            try:
                pid = server.fork(args, env, cwd)
            except Exception as err:  # noqa: BLE001 - fall back to a normal start
                log.warning("armsbrief: kernel fork server failed (%s); starting the kernel normally", err)
                return await super().launch_kernel(cmd, **kwargs)
            self.process = _ForkedProcess(pid)
            self.pid = self.pgid = pid  # setsid() in the child: its own process group
            self.cwd = cwd
            return self.connection_info

    from jupyter_client.asynchronous import AsyncKernelClient
    from traitlets import default

    class ReadyClient(AsyncKernelClient):
        """AsyncKernelClient whose readiness check ends as soon as the kernel is known to be ready.

        jupyter_client's ``wait_for_ready`` ends by waiting for 0.2 s of silence on IOPub (a fifth of
        a build's kernel overhead). Here the kernel is ready once it has answered ``kernel_info`` on
        the shell channel *and* the "idle" status of one of those requests has come through IOPub
        (so IOPub is connected too); no flush is needed, as nbclient only reads IOPub messages whose
        parent is the cell it runs. While IOPub is not connected yet, the request is repeated.
        """

        async def wait_for_ready(self, timeout=None):
            deadline = time.monotonic() + (float("inf") if timeout is None else timeout)
            asked: set[str] = set()
            wait = IOPUB_WAIT_S
            while True:
                msg_id = self.kernel_info()
                asked.add(msg_id)
                reply = await self._reply_to(msg_id, deadline)
                # IOPub may not be connected yet (ZeroMQ's subscription takes a moment: its first
                # messages are then lost, as on most starts): ask again soon. The idle status of any
                # of the requests proves IOPub connected (on a busy machine it can come late); each
                # retry waits twice as long, up to 0.2 s.
                if reply is not None and await self._idle_after(asked, min(deadline, time.monotonic() + wait)):
                    self._handle_kernel_info_reply(reply)
                    return
                wait = min(2 * wait, 0.2)
                if not await self._async_is_alive():
                    raise RuntimeError("Kernel died before replying to kernel_info")
                if time.monotonic() > deadline:
                    raise RuntimeError(f"Kernel didn't respond in {timeout:.0f} seconds")

        async def _reply_to(self, msg_id, deadline):
            from queue import Empty

            while True:
                try:
                    msg = await self.shell_channel.get_msg(timeout=max(0.0, min(1.0, deadline - time.monotonic())))
                except Empty:
                    return None
                if msg.get("parent_header", {}).get("msg_id") == msg_id and msg["msg_type"] == "kernel_info_reply":
                    return msg

        async def _idle_after(self, msg_ids, until) -> bool:
            from queue import Empty

            while True:
                try:
                    msg = await self.iopub_channel.get_msg(timeout=max(0.0, until - time.monotonic()))
                except Empty:
                    return False
                if (msg.get("parent_header", {}).get("msg_id") in msg_ids and msg["msg_type"] == "status"
                        and msg["content"].get("execution_state") == "idle"):
                    return True

    from analysis.pipeline.kernel import IPCKernelManager

    class FastIPCKernelManager(IPCKernelManager):
        """The plain IPCKernelManager, with a faster wait for a stopped kernel."""

        async def _async_wait(self, pollinterval: float = POLL_S) -> None:
            """jupyter_client's wait for the kernel process to end, polling every few milliseconds
            instead of every 0.1 s: a killed kernel is gone at once, and the first 0.1 s sleep after
            the kill was a tenth of a second added to every build."""
            import asyncio

            while await self._async_is_alive():
                await asyncio.sleep(min(pollinterval, POLL_S))

    class ForkKernelManager(FastIPCKernelManager):
        """FastIPCKernelManager whose kernels come from the fork server (and are watched by ReadyClient)."""

        @default("client_factory")
        def _client_factory_default(self):
            return ReadyClient

        async def _async_pre_start_kernel(self, **kw):
            if self.provisioner is None:
                import uuid

                self.kernel_id = self.kernel_id or kw.pop("kernel_id", None) or str(uuid.uuid4())
                self.provisioner = ForkProvisioner(kernel_id=self.kernel_id, kernel_spec=self.kernel_spec,
                                                   parent=self)
            return await super()._async_pre_start_kernel(**kw)

    return ForkProvisioner, ForkKernelManager, FastIPCKernelManager


def _ipykernel_args(cmd: list[str], server: "_ForkServer | None") -> list[str] | None:
    """The ipykernel arguments of ``cmd`` if it is ``<this python> -m ipykernel_launcher ...``."""
    if server is None or len(cmd) < 3 or cmd[1:3] != ["-m", "ipykernel_launcher"]:
        return None
    try:
        same = os.path.samefile(cmd[0], server.python)
    except OSError:
        same = False
    return list(cmd[3:]) if same else None


_CLASSES: tuple | None = None


# ------------------------------------------------------------------------------------------ public API

def enable(preload: tuple[str, ...] = PRELOAD, *, fork: bool = False) -> None:
    """Start the kernel fork server (if it is not running): later builds fork their kernels from it.

    By default the server is a new interpreter that imports ipykernel and ``preload`` itself.
    ``fork=True`` forks it from this process instead, so that it inherits the modules already
    imported here: meant for a fresh worker process (in its initializer). It is only done while this
    process has no other thread and no asyncio event loop (forking either is unsafe); otherwise the
    server is started the default way.
    """
    global _server
    with _lock:
        if _server is not None and _server.alive():
            return
        _server = _ForkServer(tuple(preload), fork=fork and _pristine())


def disable() -> None:
    """Stop the fork server; later builds start their kernels the normal way."""
    global _server
    with _lock:
        server, _server = _server, None
    if server is not None:
        server.close()


def is_enabled() -> bool:
    return _server is not None and _server.alive()


def papermill_options() -> dict:
    """Keyword arguments for ``papermill.execute_notebook``: the plain kernel manager with a faster
    stop; while the fork server is on, one that forks the kernel from it and kills it once the
    notebook has run."""
    global _CLASSES
    if _CLASSES is None:
        _CLASSES = _classes()
    if not is_enabled():
        return {"kernel_manager_class": _CLASSES[2]}
    return {"kernel_manager_class": _CLASSES[1], "shutdown_kernel": "immediate"}


atexit.register(disable)
