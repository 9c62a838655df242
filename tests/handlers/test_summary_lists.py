"""The long lists of a summary or a status: only the lines that are shown are rendered."""

from __future__ import annotations

from handlers.summary import LIST_LIMIT, MORE, Lines, capped


def test_capped_renders_only_the_lines_it_shows_of_a_long_list() -> None:
    rendered: list[int] = []

    def line(n: int) -> str:
        rendered.append(n)
        return f"• โครงการที่ {n}"

    shown = capped(Lines(range(10_000), line), 4000)
    assert shown[:-1] == [f"• โครงการที่ {n}" for n in range(LIST_LIMIT)]
    assert shown[-1] == MORE.format(n=10_000 - LIST_LIMIT)
    assert rendered == list(range(LIST_LIMIT))


def test_capped_gives_the_same_lines_for_a_list_and_its_lazy_lines() -> None:
    names = ["ก" * (n % 90 + 1) for n in range(200)]
    for budget in (0, 50, 300, 1000, 10_000):
        assert capped(Lines(names, lambda s: f"• {s}"), budget) == capped([f"• {s}" for s in names], budget)
    assert capped(Lines([], str), 100) == []
    assert Lines(["a", "b", "c"], str.upper)[1:] == ["B", "C"]
