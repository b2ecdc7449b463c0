"""studio.explore.moves.MoveLog: the surroundings of a design wait until the visitor pauses,
and nothing else is held back."""
from types import SimpleNamespace

from studio.explore.moves import MoveLog


class Clock:
    def __init__(self):
        self.t = 1000.0

    def __call__(self):
        return self.t


def req(session):
    return SimpleNamespace(session_hash=session)


def test_a_session_is_unsettled_for_the_settle_time_after_each_move():
    clock = Clock()
    log = MoveLog(settle_ms=300, clock=clock)
    assert not log.unsettled(req("a"))          # never moved
    log.record(req("a"))
    clock.t += 0.1
    assert log.unsettled(req("a"))
    clock.t += 0.25
    assert not log.unsettled(req("a"))          # paused for 350 ms
    log.record(req("a"))
    assert log.unsettled(req("a"))              # moved again


def test_sessions_do_not_hold_each_other_back():
    clock = Clock()
    log = MoveLog(settle_ms=300, clock=clock)
    log.record(req("a"))
    assert log.unsettled(req("a"))
    assert not log.unsettled(req("b"))


def test_callers_without_a_session_are_never_held_back():
    log = MoveLog()
    log.record(None)
    log.record(SimpleNamespace())
    assert not log.unsettled(None)
    assert not log.unsettled(SimpleNamespace())


def test_memory_is_bounded():
    clock = Clock()
    log = MoveLog(sessions=3, clock=clock)
    for i in range(10):
        log.record(req(f"s{i}"))
    assert len(log._moved) == 3
    assert log.unsettled(req("s9")) and not log.unsettled(req("s0"))


def test_it_remembers_which_visitor_a_page_session_belongs_to():
    log = MoveLog(sessions=2)
    assert log.visitor(req("a")) is None
    log.remember_visitor(req("a"), "visitor-a")
    log.remember_visitor(req("b"), "visitor-b")
    log.remember_visitor(req("a"), "")                # an API call without an id changes nothing
    assert log.visitor(req("a")) == "visitor-a" and log.visitor(req("b")) == "visitor-b"
    log.remember_visitor(req("c"), "visitor-c")       # bounded: the least recent goes
    assert log.visitor(req("a")) is None and log.visitor(None) is None
