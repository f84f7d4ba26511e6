"""Importing this module warms the process up (:func:`analysis.pipeline.fast.warm.warm_up`).

For preload lists that only take module names: ``armsbrief batch`` puts it last in the preload of
the multiprocessing fork server its workers are forked from, so that the warm-up is done once per
batch; the workers, and the kernel fork servers they fork, inherit it instead of repeating it.
"""
from analysis.pipeline.fast.warm import warm_up

warm_up()
