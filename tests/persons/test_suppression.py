"""Small-cell suppression, unit-tested on the rule itself."""

from app.stats.suppression import Cell, suppress


def counts(cells):
    return [c.count for c in cells]


def test_small_cells_hidden_with_a_complement():
    cells = suppress([Cell("a", 40), Cell("b", 3), Cell("c", 10), Cell("d", 12)])
    # b alone would be total - others: c, the smallest visible, is hidden too.
    assert counts(cells) == [40, None, None, 12]


def test_two_small_cells_summing_under_threshold_take_a_third():
    cells = suppress([Cell("a", 1), Cell("b", 2), Cell("c", 9), Cell("d", 30)])
    assert counts(cells) == [None, None, None, 30]


def test_nothing_small_nothing_hidden():
    assert counts(suppress([Cell("a", 5), Cell("b", 0), Cell("c", 7)])) == [5, 0, 7]


def test_zero_is_not_suppressed():
    cells = suppress([Cell("a", 0), Cell("b", 8), Cell("c", 2), Cell("d", 4)])
    assert counts(cells) == [0, 8, None, None]
