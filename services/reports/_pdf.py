"""A small A4 document on top of fpdf2: French text (DejaVu), titles, paragraphs, tables, images (private).

The font is matplotlib's DejaVu Sans, found in its data directory at run
time (no font file in the source tree); it covers French accents, the
narrow no-break space and the typographic apostrophe.
"""
from __future__ import annotations

import io
import os
from collections.abc import Sequence

import pandas as pd
from fpdf import FPDF
from fpdf.enums import CellBordersLayout
from fpdf.fonts import FontFace

from geo.errors import SecteursError

FONT = "DejaVu"
#: Grey of table headings and captions.
HEADING_FILL = (230, 230, 230)
#: Inner padding of table cells (mm).
TABLE_PADDING = 0.8


_BLANK = FontFace(fill_color=(255, 255, 255))


def french_spaces(text: str) -> str:
    """No-break space before ; : ! ? and inside « » (French typography: never at the start of a line)."""
    return (str(text).replace(" ;", "\u00a0;").replace(" :", "\u00a0:").replace(" !", "\u00a0!")
            .replace(" ?", "\u00a0?").replace("« ", "«\u00a0").replace(" »", "\u00a0»"))


def _cell_text(value, nowrap: bool) -> str:
    """A table cell as text; ``nowrap``: spaces made unbreakable (the cell stays on one line)."""
    if value is None or (isinstance(value, float) and value != value):
        return ""
    text = str(value)
    return text.replace(" ", "\u00a0") if nowrap else text


def _font_dir() -> str:
    import matplotlib

    return os.path.join(matplotlib.get_data_path(), "fonts", "ttf")


class Document(FPDF):
    """An A4 portrait report: a running title in the header, page numbers in the footer.

    Parameters
    ----------
    title : str
        Shown at the top of every page after the first.
    footer_note : str
        Shown at the bottom left of every page (e.g. the date, "données fictives").
    """

    def __init__(self, title: str, footer_note: str = ""):
        super().__init__(orientation="P", unit="mm", format="A4")
        self.running_title = title
        self.footer_note = footer_note
        folder = _font_dir()
        self.add_font(FONT, "", os.path.join(folder, "DejaVuSans.ttf"))
        self.add_font(FONT, "B", os.path.join(folder, "DejaVuSans-Bold.ttf"))
        self.add_font(FONT, "I", os.path.join(folder, "DejaVuSans-Oblique.ttf"))
        self.set_title(title)
        self.set_creator("secteurs")
        self.set_auto_page_break(True, margin=15)
        self.set_margins(12, 14, 12)
        self.alias_nb_pages()

    # -- page furniture ---------------------------------------------------------------------
    def header(self):
        if self.page_no() > 1:
            self.set_font(FONT, "I", 7)
            self.set_text_color(110)
            self.cell(0, 4, self.running_title, new_x="LMARGIN", new_y="NEXT", align="R")
            self.set_text_color(0)
            self.ln(2)

    def footer(self):
        self.set_y(-11)
        self.set_font(FONT, "I", 7)
        self.set_text_color(110)
        self.cell(self.epw / 2, 4, self.footer_note, align="L")
        self.cell(self.epw / 2, 4, f"Page {self.page_no()} / {{nb}}", align="R")
        self.set_text_color(0)

    # -- content ----------------------------------------------------------------------------
    def title_block(self, title: str, subtitle: str = "") -> None:
        self.set_font(FONT, "B", 16)
        self.multi_cell(0, 8, french_spaces(title), new_x="LMARGIN", new_y="NEXT", align="L")
        if subtitle:
            self.set_font(FONT, "", 10)
            self.multi_cell(0, 5, french_spaces(subtitle), new_x="LMARGIN", new_y="NEXT", align="L")
        self.ln(2)

    def section(self, text: str, new_page: bool = False) -> None:
        if new_page or self.will_page_break(30):
            self.add_page()
        self.ln(2)
        self.set_font(FONT, "B", 13)
        self.multi_cell(0, 7, text, new_x="LMARGIN", new_y="NEXT")
        self.ln(1)

    def subsection(self, text: str) -> None:
        if self.will_page_break(25):
            self.add_page()
        self.set_font(FONT, "B", 10.5)
        self.multi_cell(0, 6, text, new_x="LMARGIN", new_y="NEXT")

    def paragraph(self, text: str, size: float = 9, style: str = "") -> None:
        self.set_font(FONT, style, size)
        self.multi_cell(0, size * 0.5, french_spaces(text), new_x="LMARGIN", new_y="NEXT")
        self.ln(1)

    def bullets(self, items: Sequence[str], size: float = 9) -> None:
        self.set_font(FONT, "", size)
        for item in items:
            self.multi_cell(0, size * 0.5, french_spaces(f"• {item}"), new_x="LMARGIN", new_y="NEXT", align="L")
        self.ln(1)

    def warning(self, text: str) -> None:
        """A framed notice (fictitious data)."""
        self.set_font(FONT, "B", 9)
        self.set_fill_color(255, 240, 200)
        self.multi_cell(0, 5, french_spaces(text), border=1, fill=True, new_x="LMARGIN", new_y="NEXT", padding=1.5,
                        align="L")
        self.ln(2)

    def frame_table(self, frame: pd.DataFrame, *, col_widths: Sequence[float] | None = None, size: float = 7,
                    align_right: Sequence[str] = (), nowrap: Sequence[str] = (), min_size: float = 4.5,
                    max_width: float = 70.0) -> None:
        """A table of strings with a repeated heading row (numbers should be formatted beforehand).

        Columns are at least as wide as their longest word (heading in bold, cells), so
        no word is ever cut: headings and cells wrap at spaces only. When the words of
        all columns do not fit the page width the font shrinks (down to ``min_size``).

        Parameters
        ----------
        nowrap : column names
            Cells kept on one line (phones, e-mails, counts): their spaces become
            no-break spaces and the column is as wide as its longest cell.

        Raises
        ------
        SecteursError
            ``reports.table_too_wide``: even at ``min_size`` the words do not fit.
        """
        if frame.empty:
            self.paragraph("(aucune ligne)", size=size, style="I")
            return
        right, keep = set(align_right), set(nowrap)
        columns = [(str(c), frame.iloc[:, i].tolist(), c in right, c in keep) for i, c in enumerate(frame.columns)]
        self.grid(columns, col_widths=col_widths, size=size, min_size=min_size, max_width=max_width)

    def grid(self, columns: Sequence[tuple[str, list, bool, bool]], *, col_widths: Sequence[float] | None = None,
             size: float = 7, min_size: float = 4.5, max_width: float = 70.0) -> None:
        """The table of :meth:`frame_table` from ``(heading, values, align_right, nowrap)`` per column.

        A heading ``None`` makes a blank gutter column without borders (side-by-side blocks).
        """
        headings = [c[0] if c[0] is None else str(c[0]) for c in columns]
        cells = [[_cell_text(v, c[3]) for v in c[1]] for c in columns]
        nowrap = [c[3] for c in columns]
        if col_widths is None:
            while True:
                col_widths = self.column_widths(headings, cells, size, nowrap, max_width)
                if col_widths is not None or size <= min_size:
                    break
                size = max(min_size, size - 0.25)
            if col_widths is None:
                raise SecteursError("reports.table_too_wide", columns=len(headings))
        self.set_font(FONT, "", size)
        heading = FontFace(emphasis="BOLD", fill_color=HEADING_FILL)
        aligns = tuple("RIGHT" if c[2] else "LEFT" for c in columns)
        with self.table(col_widths=tuple(col_widths), width=sum(col_widths), align="LEFT", headings_style=heading,
                        line_height=size * 0.5, text_align=aligns, repeat_headings=1,
                        padding=TABLE_PADDING) as table:
            row = table.row()
            for text in headings:
                if text is None:
                    row.cell("", border=CellBordersLayout.NONE, style=_BLANK)
                else:
                    row.cell(text)
            for values in zip(*cells):
                row = table.row()
                for text, value in zip(headings, values):
                    if text is None:
                        row.cell("", border=CellBordersLayout.NONE)
                    else:
                        row.cell(value)
        self.ln(2)

    def text_width(self, text: str, size: float, style: str = "") -> float:
        """Width (mm) of ``text`` in the document's font."""
        self.set_font(FONT, style, size)
        return self.get_string_width(text)

    def column_widths(self, headings: Sequence[str], cells: Sequence[list[str]], size: float,
                      nowrap: Sequence[bool], max_width: float = 70.0) -> list[float] | None:
        """Widths (mm) that never cut a word and fit the page width, or None when the words alone do not fit."""
        extra = 2 * TABLE_PADDING + 2 * self.c_margin + 0.6
        least, wish = [], []
        for column, texts, whole_cell in zip(headings, cells, nowrap):
            if column is None:
                least.append(3.0)
                wish.append(3.0)
                continue
            texts = set(texts)            # every distinct cell is measured: no word of any row is cut
            head_words = max((self.text_width(w, size, "B") for w in str(column).split(" ")), default=0)
            if whole_cell:
                body_words = max((self.text_width(t, size) for t in texts), default=0)
                body_whole = body_words
            else:
                body_words = max((self.text_width(w, size) for t in texts for w in t.split(" ")), default=0)
                body_whole = max((self.text_width(t, size) for t in texts), default=0)
            head_whole = self.text_width(str(column), size, "B")
            low = max(head_words, body_words) + extra
            least.append(low)
            wish.append(max(low, min(max(body_whole, min(head_whole, 2.2 * max(low, 1))) + extra, max_width)))
        self.set_font(FONT, "", size)
        room = self.epw - 0.01
        if sum(least) > room:
            return None
        if sum(wish) <= room:
            return wish
        # the first column (the row's name) gets its whole width when it can, so names read on one line;
        # the room left is shared over the others in proportion to what each would like more
        spare = room - sum(least)
        first = min(wish[0] - least[0], spare / 2)
        least = [least[0] + first, *least[1:]]
        spare -= first
        more = [w - m for w, m in zip(wish, least)]
        total = sum(more) or 1.0
        return [m + spare * d / total for m, d in zip(least, more)]

    def columns_table(self, frame: pd.DataFrame, blocks: int, *, align_right: Sequence[str] = (),
                      nowrap: Sequence[str] = (), size: float = 7, **options) -> None:
        """A long, narrow table printed as ``blocks`` side-by-side blocks, read down then across, page by page.

        Cells should be one line each (``nowrap``): each page is filled with as many rows as it holds,
        so the reading order never jumps across a page break.
        """
        if frame.empty or blocks <= 1:
            self.frame_table(frame, align_right=align_right, nowrap=nowrap, size=size, **options)
            return
        right, keep = set(align_right), set(nowrap)
        row_height = size * 0.5 + 2 * TABLE_PADDING
        start = 0
        while start < len(frame):
            room = self.h - self.b_margin - self.get_y() - 2 * row_height - 3
            per_block = int(room // row_height)
            needed = -(-(len(frame) - start) // blocks)
            if per_block < min(needed, 12) and self.get_y() > self.t_margin + 20:
                self.add_page()           # a few rows at the foot of a page would split the list for nothing
                continue
            per_block = min(per_block, needed)
            columns = []
            for b in range(blocks):
                part = frame.iloc[start + b * per_block:start + (b + 1) * per_block]
                if b:
                    columns.append((None, [""] * per_block, False, False))     # a blank gutter between blocks
                for i, name in enumerate(frame.columns):
                    values = part.iloc[:, i].tolist()
                    columns.append((str(name), values + [""] * (per_block - len(values)), name in right,
                                    name in keep))
            self.grid(columns, size=size, **options)
            start += per_block * blocks
            if start < len(frame):
                self.add_page()

    def caption(self, text: str, width: float, x: float, y: float, size: float = 8) -> float:
        """A bold title wrapped at spaces within ``width`` at (x, y); returns its height (mm)."""
        self.set_font(FONT, "B", size)
        self.set_xy(x, y)
        self.multi_cell(width, size * 0.45, french_spaces(text), align="C", new_x="LMARGIN", new_y="NEXT")
        return self.get_y() - y

    def caption_height(self, text: str, width: float, size: float = 8) -> float:
        self.set_font(FONT, "B", size)
        lines = self.multi_cell(width, size * 0.45, french_spaces(text), dry_run=True, output="LINES")
        return len(lines) * size * 0.45

    def png(self, data: bytes, width: float, x: float | None = None, y: float | None = None) -> None:
        self.image(io.BytesIO(data), x=x, y=y, w=width)

    def to_bytes(self) -> bytes:
        return bytes(self.output())
