"""Small-cell suppression: counts from 1 to 4 are hidden, and so is whatever would reveal them."""

from dataclasses import dataclass

THRESHOLD = 5


@dataclass
class Cell:
    key: str | None
    count: int | None
    suppressed: bool = False


def suppress(cells: list[Cell], threshold: int = THRESHOLD) -> list[Cell]:
    """Primary suppression of small counts, then complementary suppression against subtraction.

    With the total published, one hidden cell equals the total minus the others; hidden cells
    that add up to less than the threshold are small too. So the smallest visible cells are
    hidden as well until neither holds.
    """
    values = {id(c): c.count or 0 for c in cells}
    hidden = [c for c in cells if 0 < values[id(c)] < threshold]

    def exposed() -> bool:
        hidden_sum = sum(values[id(c)] for c in hidden)
        return len(hidden) == 1 or 0 < hidden_sum < threshold

    visible = sorted((c for c in cells if c not in hidden and values[id(c)] > 0), key=lambda c: values[id(c)])
    while hidden and exposed() and visible:
        hidden.append(visible.pop(0))
    for cell in hidden:
        cell.count, cell.suppressed = None, True
    return cells
