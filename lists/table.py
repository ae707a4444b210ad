"""A tab's values (rows of text, as the Sheets API gives them) as a table: headers and rows.

The API leaves out trailing empty cells and rows, so rows are ragged: they are padded to the
headers. Headers come from the first row that is not empty and looks like a header (blank
rows and a title above it, «Регистрация на субботник», are ignored); when none of the first
rows does, the first row that is not empty. A blank header (a merged cell, a column someone
forgot to name) is named by its column letter, `[C]`; a header written twice gets a number,
`Телефон (2)`; spaces around headers and cells are trimmed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

_INVISIBLE = "\u200b\u200c\u200d\u200e\u200f\ufeff"
#: how many rows that are not empty may stand above the header row (titles, notes)
HEADER_SEARCH_ROWS = 10


def column_letter(index: int) -> str:
    """0 -> A, 25 -> Z, 26 -> AA."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def clean_cell(value: object) -> str:
    return str(value if value is not None else "").strip().strip(_INVISIBLE).strip()


@dataclass(frozen=True)
class Row:
    number: int  # the sheet's row, from 1
    cells: dict[str, str]  # header -> text, for every header ("" when empty)

    @property
    def blank(self) -> bool:
        return not any(self.cells.values())


@dataclass(frozen=True)
class Table:
    header_row: int
    headers: list[str]
    #: headers made up for columns without one (`[C]`): kept in a row's values only when
    #: the row has something there
    lettered: frozenset[str]
    rows: list[Row]


def read_table(
    values: list[list[object]], *, is_header: Callable[[list[str]], bool] | None = None
) -> Table | None:
    """The table of a tab, or None when every row is empty. `is_header` tells the header row
    from a title above it (by default the first row that is not empty is the header)."""
    filled = [i for i, row in enumerate(values) if any(clean_cell(c) for c in row)]
    if not filled:
        return None
    start = filled[0]
    if is_header is not None:
        start = next(
            (
                i
                for i in filled[:HEADER_SEARCH_ROWS]
                if is_header([clean_cell(c) for c in values[i]])
            ),
            start,
        )
    raw_headers = [clean_cell(c) for c in values[start]]
    width = max(len(raw_headers), *(len(row) for row in values[start + 1 :]), 0)
    headers: list[str] = []
    lettered: set[str] = set()
    taken: set[str] = set()
    for index in range(width):
        text = raw_headers[index] if index < len(raw_headers) else ""
        if not text:
            name = f"[{column_letter(index)}]"
            lettered.add(name)
        else:
            name, n = text, 1
            while name in taken:
                n += 1
                name = f"{text} ({n})"
        taken.add(name)
        headers.append(name)
    rows = []
    for offset, row in enumerate(values[start + 1 :], start=start + 2):
        cells = {
            header: clean_cell(row[i]) if i < len(row) else "" for i, header in enumerate(headers)
        }
        rows.append(Row(offset, cells))
    return Table(start + 1, headers, frozenset(lettered), rows)
