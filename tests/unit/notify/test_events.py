"""The de-duplication rule: which slots give an event, checked against runs of statuses."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import groupby, pairwise

from hypothesis import given
from hypothesis import strategies as st

from biaswatch.notify import EventKind, SlotResult, event_of, live_event_of
from biaswatch.status import ExecutionStatus as S

A = ("post_training", "sex", "0", "DPPL")
B = ("post_training", "sex", "0", "DI")


def _events(results: list[SlotResult]) -> list[EventKind | None]:
    """Each first attempt's event, in scheduled order, as the store would give it."""
    events = []
    for i, result in enumerate(results):
        earlier = results[:i]
        calm = max((j for j, r in enumerate(earlier) if r.status == S.COMPLETED), default=-1)
        episode = [r for r in earlier[calm + 1 :] if r.status == S.COMPLETED_WITH_VIOLATIONS]
        finished = [r.status for r in earlier if r.status != S.STOPPED]
        events.append(
            event_of(
                result,
                replaced=None,
                episode=frozenset().union(*(r.violated for r in episode)) if episode else None,
                last_finished=finished[-1] if finished else None,
            )
        )
    return events


def test_a_worked_sequence() -> None:
    calm, failed, stopped = SlotResult(S.COMPLETED), SlotResult(S.FAILED), SlotResult(S.STOPPED)
    a = SlotResult(S.COMPLETED_WITH_VIOLATIONS, frozenset({A}))
    ab = SlotResult(S.COMPLETED_WITH_VIOLATIONS, frozenset({A, B}))
    v, r, f = EventKind.VIOLATION, EventKind.RESOLVED, EventKind.FAILED
    b = SlotResult(S.COMPLETED_WITH_VIOLATIONS, frozenset({B}))
    sequence = [
        calm, a, a, ab, failed, failed, ab, a, stopped, calm, failed, stopped, failed, calm,
        a, b, a, b, calm,
    ]  # fmt: skip
    assert _events(sequence) == [
        None, v, None, v, f, None, None, None, None, r, f, None, None, None,
        v, v, None, None, r,  # B joins the episode once; coming and going tells nothing more
    ]  # fmt: skip


def test_reruns_give_revised_only_when_the_result_changes() -> None:
    a = SlotResult(S.COMPLETED_WITH_VIOLATIONS, frozenset({A}))
    ab = SlotResult(S.COMPLETED_WITH_VIOLATIONS, frozenset({A, B}))
    failed = SlotResult(S.FAILED)
    rerun = {"episode": None, "last_finished": None}
    assert event_of(a, replaced=failed, **rerun) == EventKind.REVISED
    assert event_of(ab, replaced=a, **rerun) == EventKind.REVISED
    assert event_of(a, replaced=a, **rerun) is None
    assert event_of(failed, replaced=failed, **rerun) is None


_KEYS = st.frozensets(st.sampled_from([A, B]), min_size=1)
_RESULT = st.one_of(
    st.sampled_from([S.COMPLETED, S.FAILED, S.STOPPED]).map(SlotResult),
    _KEYS.map(lambda keys: SlotResult(S.COMPLETED_WITH_VIOLATIONS, keys)),
)


@given(st.lists(_RESULT, max_size=30))
def test_events_count_the_runs_of_statuses(results: list[SlotResult]) -> None:
    events = _events(results)
    # One failed event per run of failed slots (stopped slots neither break nor begin one).
    counted = [r.status for r in results if r.status != S.STOPPED]
    failure_runs = sum(1 for status, _ in groupby(counted) if status == S.FAILED)
    assert events.count(EventKind.FAILED) == failure_runs
    # Episodes: runs of analysed slots with violations; failures do not break them.
    analysed = [r for r in results if r.status in (S.COMPLETED, S.COMPLETED_WITH_VIOLATIONS)]
    runs = [(status, list(group)) for status, group in groupby(analysed, key=lambda r: r.status)]
    episodes = [group for status, group in runs if status == S.COMPLETED_WITH_VIOLATIONS]
    ended = sum(
        1
        for (status, _), following in pairwise(runs)
        if status == S.COMPLETED_WITH_VIOLATIONS and following[0] == S.COMPLETED
    )
    assert events.count(EventKind.RESOLVED) == ended
    growths = sum(
        1
        for episode in episodes
        for i in range(1, len(episode))
        if not episode[i].violated <= frozenset().union(*(r.violated for r in episode[:i]))
    )
    assert events.count(EventKind.VIOLATION) == len(episodes) + growths
    # Nothing else, and stopped slots are silent.
    assert all(e is None for e, r in zip(events, results, strict=True) if r.status == S.STOPPED)


# ------------------------------------------------------------------------------- live episodes

LA, LB = ("sex", "0", "DPPL"), ("sex", "0", "DI")
QUIET = timedelta(minutes=5)
T0 = datetime(2026, 11, 26, 16, tzinfo=UTC)


def _live_events(looks: list[frozenset[tuple[str, str, str]] | None]) -> list[EventKind | None]:
    """The live event of each minute's look, as :func:`decide_live` keeps its episode."""
    announced: frozenset[tuple[str, str, str]] | None = None
    last: datetime | None = None
    events = []
    for minute, violated in enumerate(looks):
        now = T0 + timedelta(minutes=minute)
        event = live_event_of(
            violated, announced=announced, last_violated=last, now=now, quiet=QUIET
        )
        events.append(event)
        if event == EventKind.LIVE_RESOLVED:
            announced = last = None
        elif violated:
            announced = (announced or frozenset()) | violated
            last = now
    return events


def test_a_worked_live_sequence() -> None:
    a, ab, empty = frozenset({LA}), frozenset({LA, LB}), None
    calm: frozenset[tuple[str, str, str]] = frozenset()
    v, r = EventKind.LIVE_VIOLATION, EventKind.LIVE_RESOLVED
    looks = [calm, a, a, calm, ab, a, calm, calm, calm, calm, empty, empty, calm, a, calm]
    assert _live_events(looks) == [
        # minute 4's DI grows the episode; the last violation (5) is quiet for 5 minutes at 10,
        # but minutes 10 and 11 hold no records (nothing known): it ends at 12.
        None, v, None, None, v, None, None, None, None, None, None, None, r, v, None,
    ]  # fmt: skip


@given(st.lists(st.one_of(st.none(), st.frozensets(st.sampled_from([LA, LB]))), max_size=40))
def test_live_events_count_episodes_and_their_growth(
    looks: list[frozenset[tuple[str, str, str]] | None],
) -> None:
    events = _live_events(looks)
    # Independently: an episode begins at a violation while none is going on, and ends at the
    # first look with records and no violation that comes a full quiet period after its last.
    began = grew = ended = 0
    going: frozenset[tuple[str, str, str]] | None = None
    last = -1
    for minute, violated in enumerate(looks):
        if violated:
            if going is None:
                began += 1
                going = violated
            elif not violated <= going:
                grew += 1
                going |= violated
            last = minute
        elif violated is not None and going is not None and minute - last >= 5:
            ended += 1
            going = None
    assert events.count(EventKind.LIVE_VIOLATION) == began + grew
    assert events.count(EventKind.LIVE_RESOLVED) == ended
    assert all(e is None for e, look in zip(events, looks, strict=True) if look is None)
