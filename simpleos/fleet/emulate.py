"""Booting the fleet's machine classes: in this process, in a local process pool, or as Ray tasks.

Every backend runs the same function, classes.boot_class, on the same
picklable BootTask, and every worker builds its own Machine (unicorn objects
do not pickle). Results are cached per class for the life of the process,
so `fleet compare` boots each class once however many runs share it. The
order in which workers finish never matters: results are keyed by task.
This module schedules boots; it must NOT interpret their results.
"""
from __future__ import annotations

import logging
import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool

from ..errors import BadInput
from .classes import BootTask, boot_class
from .progress import BootProgress

BACKENDS = ("local", "ray")
_cache: dict[tuple, dict] = {}


def emulate(tasks: list[BootTask], *, workers: int | None = None, backend: str = "local",
            ray_address: str | None = None, progress: bool | None = None) -> dict[tuple, dict]:
    """Boot every task not booted before in this process; task key -> effect, for all tasks."""
    if backend not in BACKENDS:
        raise BadInput(f"unknown backend {backend!r} (choose from {', '.join(BACKENDS)})")
    todo = list({task.key: task for task in tasks if task.key not in _cache}.values())
    if todo:
        workers = workers or os.cpu_count() or 1
        runner = _run_ray(todo, workers, ray_address) if backend == "ray" else _run_local(todo, workers)
        with BootProgress(len(todo), progress) as bar:
            for task, result in runner:
                _cache[task.key] = result
                bar.advance(task.machine_class.label + (" + update" if task.content is not None else ""))
    return {task.key: _cache[task.key] for task in tasks}


def forget_cached_boots() -> None:
    """Empty the per-class cache (tests; a lab that changed the kernel in this process)."""
    _cache.clear()


def _run_local(todo: list[BootTask], workers: int):
    """In this process for one worker, else a pool of fresh 'spawn' processes."""
    if workers <= 1 or len(todo) == 1:
        for task in todo:
            yield task, boot_class(task)
        return
    context = multiprocessing.get_context("spawn")   # no fork: the parent may hold unicorn or rich threads
    with ProcessPoolExecutor(max_workers=min(workers, len(todo)), mp_context=context) as pool:
        futures = {pool.submit(boot_class, task): task for task in todo}
        try:
            for future in as_completed(futures):
                yield futures[future], future.result()
        except BrokenProcessPool:
            raise BadInput("a worker process booting machine classes died; try --workers 1") from None


def _run_ray(todo: list[BootTask], workers: int, address: str | None):
    """The same boots as Ray tasks: on the cluster at `address`, or a local Ray started here."""
    try:
        import ray
    except ImportError:
        raise BadInput("--backend ray needs Ray: pip install 'simpleos[ray]'") from None
    started_here = not ray.is_initialized()
    if started_here:
        options = {"include_dashboard": False, "log_to_driver": False, "logging_level": logging.ERROR}
        if address or os.environ.get("RAY_ADDRESS"):
            ray.init(address=address, **options)     # join a running cluster (ray.init reads $RAY_ADDRESS)
        else:
            ray.init(num_cpus=workers, **options)     # start a local one-machine Ray
    remote_boot = ray.remote(num_cpus=1)(boot_class)
    try:
        pending = {remote_boot.remote(task): task for task in todo}
        while pending:
            done, _ = ray.wait(list(pending), num_returns=1)
            for ref in done:
                task = pending.pop(ref)
                yield task, _ray_result(ray, ref, task)
    finally:
        if started_here:
            ray.shutdown()


def _ray_result(ray, ref, task: BootTask) -> dict:
    """ray.get; a failed task (a worker's BadInput, a lost worker) is one line, not Ray's traceback."""
    try:
        return ray.get(ref)
    except ray.exceptions.RayTaskError as failure:
        cause = getattr(failure, "cause", None)
        if isinstance(cause, BadInput):
            raise BadInput(str(cause)) from None
        raise BadInput(f"the Ray task booting {task.machine_class.label} failed: "
                       f"{type(cause or failure).__name__}: {(str(cause or failure).splitlines() or [''])[0]}") from None
    except ray.exceptions.RayError as failure:
        raise BadInput(f"the Ray task booting {task.machine_class.label} failed: {type(failure).__name__}") from None
