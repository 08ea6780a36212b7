"""The per-person budget of audited refusals: a window's worth audited, the rest counted and carried over."""

from handlers.refusals import MAX_PEOPLE, RefusalBudget


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def _refuse(budget: RefusalBudget, user: str) -> int | None:
    """One refused click as handlers.access makes it: None when answered unaudited, else the carried count."""
    if budget.over(user):
        return None
    return budget.audited(user, reserved=True)


def test_a_window_of_audited_refusals_then_counted_and_carried_into_the_next() -> None:
    clock = Clock()
    budget = RefusalBudget(limit=3, window_s=60, clock=clock)
    assert [_refuse(budget, "eve") for _ in range(5)] == [0, 0, 0, None, None]
    assert _refuse(budget, "bob") == 0, "each person has their own budget"
    clock.now = 59.9
    assert _refuse(budget, "eve") is None
    clock.now = 60.0
    assert _refuse(budget, "eve") == 3, "the three answered unaudited are written with the next audited one"
    assert [_refuse(budget, "eve") for _ in range(3)] == [0, 0, None]


def test_clicks_being_checked_count_against_the_budget() -> None:
    budget = RefusalBudget(limit=2, clock=Clock())
    assert [budget.over("eve") for _ in range(4)] == [0, 0, 1, 2], "a burst cannot slip past while in flight"
    assert budget.audited("eve", reserved=True) == 2, "the two counted above are carried into the first audit"
    assert budget.over("eve") == 1, "an audited click and one still in flight fill a budget of two"
    budget.release("eve")  # let through (say, an approval that was allowed): its reservation ends
    assert budget.over("eve") == 0


def test_many_people_do_not_grow_it_without_bound() -> None:
    clock = Clock()
    budget = RefusalBudget(limit=1, window_s=1, clock=clock)
    for index in range(MAX_PEOPLE + 50):
        clock.now = index * 0.001
        _refuse(budget, f"user-{index}")
    assert len(budget) <= MAX_PEOPLE
