"""An order's invoice as a PDF (``services.invoice_for`` gathers the facts; this only lays them out).

fpdf2 (py-pdf, pure Python, maintained, LGPL) rather than our own PDF writer: it lays out tables
that break across pages and writes standard PDF that every reader opens.

Script and fonts: the invoice is written in the page's language (English, German, Hindi or Simplified
Chinese) with Google's Noto fonts from Debian's packages, embedded as subsets so every reader shows
them: Noto Sans for Latin text, Noto Sans Devanagari (``fonts-noto-core``) for Hindi, shaped by
HarfBuzz (uharfbuzz) so conjuncts and vowel signs join, and Noto Sans CJK SC (``fonts-noto-cjk``) for
Chinese. scripts/services.sh and scripts/bootstrap.sh install the packages where they can (as root);
on a machine without them the invoice falls back to English (or German) in the PDF's standard
Helvetica, which needs no font file. Amounts carry the ISO currency code (INR, CNY, EUR). China's
official fapiao is issued through the tax authority's own system, so this document is the seller's
commercial invoice showing VAT per line.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from pathlib import Path

from babel.dates import format_date
from babel.numbers import format_decimal, format_percent
from django.utils import translation
from django.utils.translation import gettext as _
from fpdf import FPDF
from fpdf.fonts import FontFace

from millet.sales.services.invoices import Invoice
from millet.web.formats import babel_locale

LATIN_LANGUAGES = ("en", "de")
STANDARD_FONT = "Helvetica"  # one of the PDF's 14 standard fonts: Latin-1 only, no file needed


@dataclass(frozen=True)
class FontFile:
    """One face of a font family as fpdf2 loads it: a TrueType/OpenType file (``index`` picks the
    face of a collection, .ttc)."""

    path: Path
    index: int = 0


NOTO = Path("/usr/share/fonts/truetype/noto")  # fonts-noto-core
NOTO_CJK = Path("/usr/share/fonts/opentype/noto")  # fonts-noto-cjk
CJK_SC = 2  # the faces of NotoSansCJK-*.ttc: JP, KR, SC, TC, HK, then the mono ones
# family -> (regular, bold); "Noto Sans" draws the Latin text of every invoice.
FAMILIES = {
    "Noto Sans": (FontFile(NOTO / "NotoSans-Regular.ttf"), FontFile(NOTO / "NotoSans-Bold.ttf")),
    "Noto Sans Devanagari": (
        FontFile(NOTO / "NotoSansDevanagari-Regular.ttf"),
        FontFile(NOTO / "NotoSansDevanagari-Bold.ttf"),
    ),
    "Noto Sans CJK SC": (
        FontFile(NOTO_CJK / "NotoSansCJK-Regular.ttc", CJK_SC),
        FontFile(NOTO_CJK / "NotoSansCJK-Bold.ttc", CJK_SC),
    ),
}
# The family each language's script needs beside Latin, and whether it must be shaped.
SCRIPT_FAMILY = {"hi": ("Noto Sans Devanagari", True), "zh-hans": ("Noto Sans CJK SC", False)}


@cache
def installed(family: str) -> bool:
    """Whether both faces of ``family`` are on this machine (their Debian package is installed)."""
    return all(face.path.is_file() for face in FAMILIES[family])


def invoice_language(language: str | None) -> str:
    """The invoice's language for a page in ``language``: itself when the fonts its script needs are
    installed (always for English and German), else English."""
    if language in LATIN_LANGUAGES:
        return language
    if language in SCRIPT_FAMILY and installed("Noto Sans") and installed(SCRIPT_FAMILY[language][0]):
        return language
    return "en"


# Punctuation outside Latin-1 that product names and addresses often carry, in plain ASCII.
PUNCTUATION = str.maketrans(
    {
        "\u2013": "-",
        "\u2014": "-",
        "\u2018": "'",
        "\u2019": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u2026": "...",
    }
)


def latin1(text: str) -> str:
    """Text Helvetica can draw: dashes and quotes in ASCII, accents folded where needed, anything
    else outside Latin-1 as "?"."""
    text = text.translate(PUNCTUATION)
    folded = "".join(
        ch if ch.encode("latin-1", "ignore") else unicodedata.normalize("NFKD", ch)[:1] for ch in text
    )
    return folded.encode("latin-1", "replace").decode("latin-1")


def tax_id_label(market: str) -> str:
    return {"IN": _("GSTIN"), "DE": _("VAT ID")}.get(market, _("Taxpayer ID"))


def render_invoice(invoice: Invoice, language: str | None) -> bytes:
    """The invoice as PDF bytes, labels in ``invoice_language(language)``."""
    language = invoice_language(language)
    with translation.override(language):
        return _Layout(invoice, language).render()


class _Layout:
    def __init__(self, invoice: Invoice, language: str) -> None:
        self.invoice = invoice
        self.locale = babel_locale(language, invoice.market)
        self.pdf = FPDF(orientation="landscape", format="A4")
        self.unicode = installed("Noto Sans")
        self.font = "Noto Sans" if self.unicode else STANDARD_FONT
        if self.unicode:
            self.load_fonts(language)
        self.pdf.set_auto_page_break(auto=True, margin=15)
        self.pdf.set_title(self.drawable(f"{self.title()} {invoice.number}"))
        self.pdf.set_author(self.drawable(invoice.seller.legal_name))
        self.pdf.add_page()

    def load_fonts(self, language: str) -> None:
        """Noto Sans, and the family of the language's script as its fallback for what it lacks."""
        families = ["Noto Sans"]
        script, shaped = SCRIPT_FAMILY.get(language, (None, False))
        if script:
            families.append(script)
        for family in families:
            for style, face in zip(("", "B"), FAMILIES[family], strict=True):
                self.pdf.add_font(family, style, str(face.path), collection_font_number=face.index)
        if script:
            self.pdf.set_fallback_fonts([script])
        if shaped:
            self.pdf.set_text_shaping(True)

    def drawable(self, text: str) -> str:
        """``text`` as the fonts in use can draw it (Helvetica: folded to Latin-1, see ``latin1``)."""
        return text if self.unicode else latin1(text)

    def title(self) -> str:
        return _("Tax invoice") if self.invoice.market == "IN" else _("Invoice")

    def amount(self, value: Decimal) -> str:
        """Two decimals, grouped as the market writes them (India in lakhs: 1,24,999.00)."""
        pattern = "#,##,##0.00" if self.invoice.market == "IN" else "#,##0.00"
        return format_decimal(value, format=pattern, locale=self.locale)

    def money(self, value: Decimal) -> str:
        return f"{self.amount(value)} {self.invoice.currency}"

    def text(self, value: str, *, size: float = 10, style: str = "", height: float = 5.5) -> None:
        self.pdf.set_font(self.font, style=style, size=size)
        self.pdf.multi_cell(0, height, self.drawable(value), new_x="LMARGIN", new_y="NEXT")

    def render(self) -> bytes:
        invoice, pdf = self.invoice, self.pdf
        self.text(self.title(), size=18, style="B", height=9)
        self.text(invoice.seller.legal_name, style="B")
        self.text(invoice.seller.address)
        self.text(f"{tax_id_label(invoice.market)}: {invoice.seller.tax_id}")
        pdf.ln(3)
        facts = [
            (_("Invoice number"), invoice.number),
            (_("Date"), format_date(invoice.issued_at.date(), "long", locale=self.locale)),
            (_("Bill to"), invoice.buyer),
        ]
        if invoice.place_of_supply:
            facts.append((_("Place of supply"), invoice.place_of_supply))
        methods = {"card": _("Card"), "cash": _("Cash"), "loan": _("Instant credit (loan)")}
        facts.append((_("Paid by"), ", ".join(methods[m] for m in invoice.payment_methods)))
        for label, value in facts:
            self.text(f"{label}: {value}")
        pdf.ln(3)
        self.lines_table()
        pdf.ln(3)
        self.totals_table()
        if invoice.market == "IN":
            pdf.ln(2)
            self.text(_("Tax is not payable on reverse charge."), size=8)
        return bytes(pdf.output())

    def components(self) -> list[str]:
        order = {"CGST": 0, "SGST": 1, "UTGST": 2, "IGST": 3}
        found = {k for line in self.invoice.lines for k in line.tax}
        return sorted(found, key=lambda k: (order.get(k, 9), k))

    def lines_table(self) -> None:
        invoice, pdf = self.invoice, self.pdf
        components = self.components()
        india = invoice.market == "IN"
        heading = (
            [_("Description")]
            + ([_("HSN")] if india else [])
            + [
                _("Qty"),
                _("Unit price"),
                _("Discount"),
                _("Taxable value"),
            ]
        )
        heading += components + [_("Total")]
        fixed = [22] * (len(heading) - 1)
        if india:
            fixed[0] = 20
        widths = [277 - sum(fixed)] + fixed
        pdf.set_font(self.font, size=8)
        with pdf.table(
            col_widths=widths,
            text_align=["LEFT"] + ["RIGHT"] * (len(heading) - 1),
            headings_style=FontFace(emphasis="BOLD"),
            line_height=4.5,
            padding=1,
        ) as table:
            table.row([self.drawable(h) for h in heading])
            for line in invoice.lines:
                cells = [f"{line.description} ({line.sku_code})"] + ([line.hsn] if india else [])
                cells += [
                    format_decimal(line.quantity, locale=self.locale),
                    self.amount(line.unit_price),
                    self.amount(line.discount),
                    self.amount(line.taxable),
                ]
                for component in components:
                    if component in line.tax:
                        rate = line.rates.get(component)
                        shown = (
                            format_percent(rate, locale=self.locale, decimal_quantization=False)
                            if rate
                            else ""
                        )
                        cells.append(f"{self.amount(line.tax[component])} ({shown})")
                    else:
                        cells.append("-")
                cells.append(self.amount(line.gross))
                table.row([self.drawable(c) for c in cells])

    def totals_table(self) -> None:
        invoice, pdf = self.invoice, self.pdf
        rows = [(_("Taxable value"), invoice.taxable_total)]
        rows += [(component, invoice.tax_totals[component]) for component in self.components()]
        rows.append((_("Total (tax included)"), invoice.total))
        if invoice.refunded:
            rows.append((_("Refunded"), invoice.refunded))
        pdf.set_font(self.font, size=9)
        with pdf.table(
            col_widths=(60, 40),
            width=100,
            align="RIGHT",
            text_align=("LEFT", "RIGHT"),
            first_row_as_headings=False,
            line_height=5,
            padding=1,
        ) as table:
            for label, value in rows:
                table.row([self.drawable(label), self.drawable(self.money(value))])
