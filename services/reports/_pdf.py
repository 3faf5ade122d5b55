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
from fpdf.fonts import FontFace

FONT = "DejaVu"
#: Grey of table headings and captions.
HEADING_FILL = (230, 230, 230)


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
        self.multi_cell(0, 8, title, new_x="LMARGIN", new_y="NEXT")
        if subtitle:
            self.set_font(FONT, "", 10)
            self.multi_cell(0, 5, subtitle, new_x="LMARGIN", new_y="NEXT")
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
        self.multi_cell(0, size * 0.5, text, new_x="LMARGIN", new_y="NEXT")
        self.ln(1)

    def bullets(self, items: Sequence[str], size: float = 9) -> None:
        self.set_font(FONT, "", size)
        for item in items:
            self.multi_cell(0, size * 0.5, f"• {item}", new_x="LMARGIN", new_y="NEXT")
        self.ln(1)

    def warning(self, text: str) -> None:
        """A framed notice (fictitious data)."""
        self.set_font(FONT, "B", 9)
        self.set_fill_color(255, 240, 200)
        self.multi_cell(0, 5, text, border=1, fill=True, new_x="LMARGIN", new_y="NEXT", padding=1.5)
        self.ln(2)

    def frame_table(self, frame: pd.DataFrame, *, col_widths: Sequence[float] | None = None, size: float = 7,
                    align_right: Sequence[str] = ()) -> None:
        """A table of strings with a repeated heading row (numbers should be formatted beforehand)."""
        if frame.empty:
            self.paragraph("(aucune ligne)", size=size, style="I")
            return
        self.set_font(FONT, "", size)
        if col_widths is None:
            col_widths = self._widths(frame, size)
        heading = FontFace(emphasis="BOLD", fill_color=HEADING_FILL)
        right = set(align_right)
        aligns = tuple("RIGHT" if c in right else "LEFT" for c in frame.columns)
        with self.table(col_widths=tuple(col_widths), width=sum(col_widths), align="LEFT", headings_style=heading,
                        line_height=size * 0.55, text_align=aligns, repeat_headings=1,
                        padding=0.8) as table:
            row = table.row()
            for column in frame.columns:
                row.cell(str(column))
            for values in frame.itertuples(index=False):
                row = table.row()
                for value in values:
                    row.cell("" if value is None or (isinstance(value, float) and value != value) else str(value))
        self.ln(2)

    def _widths(self, frame: pd.DataFrame, size: float) -> list[float]:
        """Column widths from the content: the longest cell, or the header's longest word, whichever is wider."""
        widths = []
        for column in frame.columns:
            cells = [str(v) for v in frame[column].tolist()[:400]]
            self.set_font(FONT, "", size)
            body = max((self.get_string_width(c) for c in cells), default=0)
            self.set_font(FONT, "B", size)
            word = max((self.get_string_width(w) for w in str(column).split()), default=0)
            whole = self.get_string_width(str(column))
            widths.append(min(max(body, word, min(whole, 2.2 * max(body, word))) + 2.5, 70.0))
        self.set_font(FONT, "", size)
        total = sum(widths)
        if total > self.epw:
            widths = [w * (self.epw - 0.01) / total for w in widths]
        return widths

    def png(self, data: bytes, width: float, x: float | None = None, y: float | None = None) -> None:
        self.image(io.BytesIO(data), x=x, y=y, w=width)

    def to_bytes(self) -> bytes:
        return bytes(self.output())
