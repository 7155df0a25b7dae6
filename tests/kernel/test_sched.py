"""The scheduler (kernel/sched.py) on its own: round robin, waking, timers, removal, determinism.

Processes here are plain Process records (no address space, no image): the
scheduler only reads their state and their wait, never the machine. A blocked
process's `wait_until` returns None while it must keep waiting, or the system
call's result (0 and negative errnos included) once it may go on.
"""
from __future__ import annotations

import pytest

from simpleos.kernel import errno
from simpleos.kernel.proc import BLOCKED, RUNNABLE, ZOMBIE, Process
from simpleos.kernel.sched import Scheduler


def process(pid: int, state: str = RUNNABLE, **fields) -> Process:
    return Process(pid=pid, name=f"p{pid}", space=None, image=None, state=state, **fields)


def scheduler_of(*processes: Process) -> Scheduler:
    scheduler = Scheduler()
    for each in processes:
        scheduler.add(each)
    return scheduler


def picks(scheduler: Scheduler, count: int, now: int = 0) -> list[int | None]:
    """The pids of the next `count` picks (None: nothing could run)."""
    return [getattr(scheduler.pick_next(now), "pid", None) for _ in range(count)]


def blocked_until(answers: list[int | None], **fields) -> Process:
    """A blocked process whose wait answers `answers` in turn (None: not yet)."""
    pending = iter(answers)
    return process(fields.pop("pid"), BLOCKED, wait_until=lambda: next(pending), **fields)


# --- round robin ---------------------------------------------------------------------------------------

def test_runnable_processes_take_turns_in_the_order_they_were_added():
    scheduler = scheduler_of(process(3), process(1), process(2))
    assert picks(scheduler, 7) == [3, 1, 2, 3, 1, 2, 3]


def test_adding_a_process_twice_does_not_give_it_two_turns():
    first, second = process(1), process(2)
    scheduler = scheduler_of(first, second)
    scheduler.add(first)
    assert len(scheduler) == 2
    assert picks(scheduler, 4) == [1, 2, 1, 2]


def test_a_process_added_later_joins_at_the_back():
    scheduler = scheduler_of(process(1), process(2))
    assert picks(scheduler, 1) == [1]
    scheduler.add(process(9))
    assert picks(scheduler, 4) == [2, 1, 9, 2]            # behind the one that has just run


def test_an_empty_queue_has_nothing_to_run():
    assert Scheduler().pick_next(0) is None
    assert len(Scheduler()) == 0


def test_zombies_in_the_queue_are_passed_over():
    scheduler = scheduler_of(process(1), process(2, ZOMBIE), process(3))
    assert picks(scheduler, 4) == [1, 3, 1, 3]


# --- blocked processes ------------------------------------------------------------------------------------

def test_a_blocked_process_whose_wait_is_not_over_is_skipped():
    waiting = blocked_until([None] * 10, pid=1)
    scheduler = scheduler_of(waiting, process(2))
    assert picks(scheduler, 3) == [2, 2, 2]
    assert waiting.state == BLOCKED and waiting.pending_result is None


def test_nothing_runs_while_every_process_waits():
    scheduler = scheduler_of(blocked_until([None] * 5, pid=1), blocked_until([None] * 5, pid=2))
    assert picks(scheduler, 2) == [None, None]


@pytest.mark.parametrize("result", [5, 0, -errno.EAGAIN], ids=["value", "zero", "errno"])
def test_a_blocked_process_is_woken_with_its_result_when_the_wait_is_over(result):
    waiting = blocked_until([None, result], pid=1, wake_at=1_000)
    scheduler = scheduler_of(waiting, process(2))
    assert picks(scheduler, 1) == [2]                     # first poll: not yet; 2 runs
    assert waiting.state == BLOCKED
    assert picks(scheduler, 1) == [1]                     # second poll: woken, and picked at once
    assert waiting.state == RUNNABLE
    assert waiting.pending_result == result               # for rax when it resumes
    assert waiting.wait_until is None and waiting.wake_at is None


def test_blocked_processes_are_polled_in_turn_with_the_runnable_ones():
    polled = []

    def wait(pid):
        def answer():
            polled.append(pid)
            return None
        return answer

    scheduler = scheduler_of(process(1, BLOCKED, wait_until=wait(1)), process(2),
                             process(3, BLOCKED, wait_until=wait(3)))
    assert picks(scheduler, 2) == [2, 2]
    assert polled == [1, 3, 1]       # pick 1 polls 1, runs 2; pick 2 polls 3 and 1, runs 2


def test_a_blocked_process_without_a_wait_stays_blocked():
    stuck = process(1, BLOCKED)
    assert picks(scheduler_of(stuck), 2) == [None, None]
    assert stuck.state == BLOCKED


# --- timers ------------------------------------------------------------------------------------------------

def test_next_timer_is_the_earliest_deadline_of_a_blocked_process():
    scheduler = scheduler_of(blocked_until([None], pid=1, wake_at=5_000), blocked_until([None], pid=2, wake_at=2_000),
                             blocked_until([None], pid=3), process(4, wake_at=1))    # not blocked: no deadline
    assert scheduler.next_timer() == 2_000


def test_no_deadline_no_timer():
    assert scheduler_of(process(1), blocked_until([None], pid=2)).next_timer() is None
    assert Scheduler().next_timer() is None


# --- removal -------------------------------------------------------------------------------------------------

def test_a_removed_process_is_never_picked_again():
    gone = process(2)
    scheduler = scheduler_of(process(1), gone, process(3))
    scheduler.remove(gone)
    assert len(scheduler) == 2
    assert picks(scheduler, 4) == [1, 3, 1, 3]


def test_removing_a_process_that_is_not_queued_changes_nothing():
    scheduler = scheduler_of(process(1))
    scheduler.remove(process(7))
    assert len(scheduler) == 1 and picks(scheduler, 2) == [1, 1]


def test_a_removed_deadline_is_no_longer_a_timer():
    sleeper = blocked_until([None], pid=1, wake_at=10)
    scheduler = scheduler_of(sleeper, blocked_until([None], pid=2, wake_at=20))
    scheduler.remove(sleeper)
    assert scheduler.next_timer() == 20


# --- determinism -------------------------------------------------------------------------------------------------

def schedule_trace(rounds: int = 40) -> list[int | None]:
    """A mixed workload -- runnable, sleeping, woken, removed, added -- and the picks it gives."""
    sleeper = blocked_until([None] * 5 + [0], pid=4, wake_at=100)
    scheduler = scheduler_of(process(1), process(2), sleeper, blocked_until([None] * 9 + [3], pid=5))
    trace = []
    for step in range(rounds):
        if step == 7:
            scheduler.remove(next(p for p in scheduler.queue if p.pid == 2))
        if step == 11:
            scheduler.add(process(6))
        picked = scheduler.pick_next(step)
        trace.append(picked.pid if picked else None)
        if picked is not None and picked.pid == 1 and step % 3 == 0:   # pid 1 blocks now and then
            picked.state, picked.wait_until = BLOCKED, (lambda: 0)
    return trace


def test_the_same_workload_is_scheduled_the_same_way_every_time():
    first = schedule_trace()
    assert all(schedule_trace() == first for _ in range(5))
    assert set(first) == {1, 2, 4, 5, 6}, "every process got the CPU at some point"
