"""Human-readable output for the CLI (rich tables). The library never calls this."""

from __future__ import annotations

from collections.abc import Sequence

from .page import Finding, Result

_DECISION_STYLE = {"ok": "green", "review": "yellow", "reject": "bold red"}


def _can_print(sample: str) -> bool:
    """Whether stdout's encoding can show ``sample`` (an ASCII terminal cannot show "→")."""
    import sys

    try:
        sample.encode(getattr(sys.stdout, "encoding", None) or "utf-8")
    except (UnicodeEncodeError, LookupError):
        return False
    return True


# Characters a terminal acts on: C0 controls (but newline), DEL and C1 controls. Page
# text, file names and URLs are untrusted: an escape sequence in them could clear a
# moderator's screen or retitle the window, so the table shows them as ``\x1b``.
_CONTROLS = {c: f"\\x{c:02x}" for c in (*range(0x20), 0x7F, *range(0x80, 0xA0)) if c != 0x0A}
_CONTROLS[0x09] = " "
# Longest source or error message shown in a table cell (the JSON keeps them whole).
MAX_CELL_CHARS = 300


def safe_for_terminal(text: str) -> str:
    """``text`` with every control character but newline shown as an escape."""
    return text.translate(_CONTROLS)


def _clip(text: str, limit: int = MAX_CELL_CHARS) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _quote(text: str, limit: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def describe(f: Finding, *, arrow: str = "→", value: float | None = None) -> str:
    """One reason as text: rule, quoted evidence, and the likely original term; for a
    page signal (family ``signals``, no span), the rule and the signal's ``value``."""
    if f.family == "signals":
        return f.rule if value is None else f"{f.rule} = {value:.3g}"
    s = f'{f.rule} "{_quote(f.text)}"'
    if f.suggestion:
        s += f" {arrow} {f.suggestion}"
    return s


def explain(result: Result, limit: int = 3) -> list[str]:
    """The reasons behind a verdict (``Result.reasons``); evidence for the page marked "+"."""
    def value(f: Finding) -> float | None:
        v = result.signals.get(f.rule.removeprefix("signals.")) if f.family == "signals" else None
        return None if v is None or v != v else float(v)

    lines = [("+ " if f.weight < 0 else "") + describe(f, value=value(f)) for f in result.reasons(limit=limit)]
    if lines or not result.findings:
        return lines or ["no findings"]
    return [f"{len(result.findings)} findings, none listed (--reasons {limit})"]


def print_table(results: Sequence[Result], *, reasons: int = 3, console=None) -> None:  # type: ignore[no-untyped-def]
    from rich import box
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    if console is None:
        import sys

        # Piped output (logs, docs) gets a readable fixed width instead of rich's 80.
        console = Console(soft_wrap=False, width=None if sys.stdout.isatty() else 110)
    # An ASCII terminal gets plain box characters and arrows, and evidence it can show.
    unicode_ok = _can_print("→…┃")

    def cell(text: str) -> str:
        text = safe_for_terminal(text)
        if not unicode_ok:
            text = text.replace("→", "->").replace("…", "...").encode("ascii", "replace").decode()
        return escape(text)

    arrow = "→" if unicode_ok else "->"
    table = Table(show_lines=True, box=box.HEAVY_HEAD if unicode_ok else box.ASCII)
    table.add_column("source", overflow="fold", max_width=40)
    table.add_column("score", justify="right")
    table.add_column("decision")
    table.add_column(f"top reasons (evidence {arrow} likely original)", overflow="fold")
    for r in results:
        if r.error:
            table.add_row(cell(_clip(r.source)), "-", "[bold magenta]error[/]",
                          cell(_clip(f"{r.error.type}: {r.error.message}")))
            continue
        style = _DECISION_STYLE.get(r.decision or "", "")
        table.add_row(
            cell(_clip(r.source)),
            f"{r.score:.0f}",
            f"[{style}]{r.decision}[/]",
            cell("\n".join(explain(r, reasons))),
        )
    console.print(table)
