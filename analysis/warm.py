"""Importing this module warms the process up: :func:`analysis.brief.warm_up` (a throwaway brief).

For preload lists that only take module names: ``armsbrief batch`` puts it in the preload of the
multiprocessing fork server its workers are forked from, so that the warm-up is done once per
batch; the workers, and the kernel fork servers they fork, inherit it instead of repeating it.
"""
from analysis import brief

brief.warm_up()
