"""The warm-up of a process that will fork kernels or workers: one throwaway brief.

:func:`warm_up` is called by the kernel fork server before it forks any kernel, and by a batch's
multiprocessing fork server through :mod:`analysis.pipeline.fast.warmed` (a preload list takes
module names only).
"""
from __future__ import annotations

from analysis.report import brief

#: The case :func:`warm_up` computes and throws away (embedded data; not the default brief's case).
WARM_UP_CASE = ("Russia", "Azerbaijan", "Armenia", "CSTO", 2010, 2020, "embedded")


_warm = False


def warm_up() -> None:
    """Compute a brief once and throw it away, so that a process forked afterwards starts warm.

    Called by the kernel fork server (:mod:`analysis.pipeline.fast.kernels`) before it forks any kernel: the
    first use of pandas' and matplotlib's code paths in a process is slow (fonts opened, text
    metrics and caches filled, lazy imports); forked kernels inherit that warmed memory instead of
    each paying those costs again (on the benchmark machine 5-10 % off each forked brief, beyond
    what the fork server's imports save; it costs ~1.5 s once). Nothing computed here is kept: no
    result, figure or setting outlives the call (charts are closed, the house style is a context),
    and every build still reads and checks its own data. Done once per process (a fork of a warm
    process is warm).
    """
    global _warm
    if _warm:
        return
    case = brief.build(*WARM_UP_CASE)
    brief.title(case)
    for section in brief.SECTIONS:
        section(case)
    _warm = True
