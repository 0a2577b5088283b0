"""The ``xlcbec`` command: demo, template, import, refresh, check, addin.

Exit codes: 0 success; 2 bad input (one message per problem on stderr, naming
sheet, row and column); 1 unexpected failure (a short message, nothing
written).  No traceback reaches the user unless ``XLCBEC_DEBUG=1`` is set.
"""

from __future__ import annotations

import argparse
import atexit
import json
import os
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn

from xlcbec import __version__
from xlcbec.errors import InputError, InputErrors, XlcbecError

EXIT_OK, EXIT_FAILURE, EXIT_INPUT = 0, 1, 2


class Progress:
    """A one-line progress bar on stderr (plain lines when stderr is not a terminal)."""

    def __init__(self, enabled: bool = True) -> None:
        self.enabled = enabled
        self.tty = sys.stderr.isatty()
        self.start = time.perf_counter()

    def __call__(self, label: str, step: int, total: int) -> None:
        if not self.enabled:
            return
        width = 24
        done = int(width * (step - 1) / max(total, 1))
        bar = "#" * done + "-" * (width - done)
        line = f"[{bar}] {step}/{total} {label}"
        if self.tty:
            sys.stderr.write("\r" + line.ljust(70))
            sys.stderr.flush()
        else:
            sys.stderr.write(line + "\n")

    def done(self) -> None:
        if self.enabled and self.tty:
            sys.stderr.write("\r" + " " * 70 + "\r")
            sys.stderr.flush()


def _print_problems(error: BaseException) -> None:
    problems = error.errors if isinstance(error, InputErrors) else [error]
    for problem in problems:
        print(f"xlcbec: {problem}", file=sys.stderr)


def default_output(book: Path) -> Path:
    return book.with_name(book.stem + ".results.xlsx")


# --- refresh ---------------------------------------------------------------------


def refresh_one(book: Path, out: Path | None, only: Sequence[str] | None, json_path: Path | None,
                in_place: bool, progress: Progress | None, *, overwrite: bool = True) -> Any:
    """Refresh one workbook; returns the run report.  Raises InputError for bad input.

    Every output path is checked against the input and the other output
    before anything is read or written; ``overwrite=False`` refuses an
    existing output file.
    """
    from xlcbec import jobs
    from xlcbec.book.atomic import atomic_write_bytes, check_output_paths
    from xlcbec.book.openpyxl_losses import parts_openpyxl_would_drop
    from xlcbec.book.reading import read_inputs
    from xlcbec.book.result_package import save_results

    book = Path(book)
    if not book.exists():
        raise InputError(f"the workbook {str(book)!r} does not exist", fix="check the path and the file name")
    if in_place:
        if out is not None and Path(out).resolve() != book.resolve():
            raise InputError("--in-place and -o name different files", fix="use one of them")
        lost = parts_openpyxl_would_drop(book)
        if lost:
            raise InputError(
                "refusing to refresh in place: re-saving this workbook would lose " + "; ".join(lost),
                fix=f"refresh without --in-place (the results go to {default_output(book).name}) "
                "or use the Excel add-in, which keeps everything",
            )
        target = book
    else:
        target = Path(out) if out is not None else default_output(book)
        if target.resolve() == book.resolve():
            raise InputError("the output would overwrite the input workbook",
                             fix="choose another -o name, or say --in-place if that is what you want")
        if target.suffix.lower() != ".xlsx":
            raise InputError(f"the output {target.name!r} must be an .xlsx file", fix="end the -o name with .xlsx")
    outputs: dict[str, Path] = {} if in_place else {"-o" if out is not None else "the results workbook": target}
    if json_path is not None:
        outputs["--json"] = Path(json_path)
    check_output_paths([book], outputs)
    if not overwrite and target.exists():
        raise InputError(f"'{target}' exists", fix="choose another name, or pass --force to replace it")
    _check_output_folder(target)
    if json_path is not None:
        _check_output_folder(Path(json_path))
    inputs = read_inputs(book, collect_errors=True)  # every reading problem at once, as `check` lists them
    report = jobs.run_inputs(inputs, only=only, progress=progress)
    if progress:
        progress("writing results", len(report.analyses) + 1, len(report.analyses) + 1)
    # BOOK's parts are copied as they are and the result sheets added (no openpyxl load of BOOK).
    save_results(book, target, lambda backend: jobs.write_report(backend, report, source=str(book)), overwrite=overwrite)
    if json_path is not None:
        payload = json.dumps(report.to_json(), ensure_ascii=False, indent=1, allow_nan=False).encode("utf-8")
        atomic_write_bytes(Path(json_path), payload)
    if progress:
        progress.done()
    return report, target


def _check_output_folder(target: Path) -> None:
    """Say at once, before minutes of estimation, when the results could not be saved.

    The save itself stays the authority (atomic_write reports any failure);
    this only catches the plain cases early.
    """
    folder = target.parent if str(target.parent) else Path(".")
    if not folder.is_dir():
        raise InputError(f"the output folder '{folder}' does not exist", fix="create the folder or choose another -o path")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise InputError(f"cannot write in the output folder '{folder}' (permission denied)",
                         fix="choose a folder you are allowed to write to, e.g. with -o PATH")


def summary_lines(report: Any, target: Path) -> list[str]:
    """The table printed at the end of a refresh: headline numbers and seconds per analysis."""
    frame = report.estimates
    lines = [f"Wrote {target}  ({len(frame)} estimates, {report.seconds:.1f} s)", ""]
    lines.append(f"{'analysis':<14} {'headline':<44} {'seconds':>8}")
    headline_terms = {
        "baseline": ("controls", "CBEC"), "event_study": ("twfe", "pretrend_wald"), "psm_att": ("kernel", "ATT"),
        "placebo": ("permutation", "CBEC"), "cs": ("never", "simple"), "sun_abraham": ("iw", "att"),
    }
    for name in report.analyses:
        text = "skipped: " + report.run.skipped[name][:36] if name in report.run.skipped else "done"
        key = "psm_att" if name == "psm" else name
        if key in headline_terms and name in report.run.outcomes:
            model, term = headline_terms[key]
            hit = frame[(frame.analysis == key) & (frame.term == term)]
            hit = hit[hit.model == model] if (hit.model == model).any() else hit
            if len(hit):
                row = hit.iloc[0]
                if term == "pretrend_wald":
                    text = f"pre-trend F = {row.statistic:.3f}, p = {row.p_value:.3f}"
                else:
                    text = f"{term} = {row.estimate:.4f}" + (f" (p = {row.p_value:.3f})" if row.p_value == row.p_value else "")
        seconds = report.run.timings.get(name, 0.0)
        lines.append(f"{name:<14} {text:<44} {seconds:8.2f}")
    if getattr(report, "cross_check", None) is not None:  # Settings cross_check = yes
        lines += ["", report.cross_check.summary_line(), "(each model's differences: Log sheet, section cross-check)"]
    return lines


def _refresh_worker(args: tuple[str, str | None, tuple[str, ...] | None]) -> tuple[str, int, str]:
    """One workbook of a batch, in its own process: (book, exit code, message)."""
    book, out, only = args
    try:
        report, target = refresh_one(Path(book), Path(out) if out else None, only, None, False, None)
        return book, EXIT_OK, f"{book}: wrote {target} in {report.seconds:.1f} s"
    except (InputError, InputErrors, XlcbecError) as error:
        problems = error.errors if isinstance(error, InputErrors) else [error]
        return book, EXIT_INPUT, "\n".join(f"{book}: {p}" for p in problems)
    except Exception as error:  # noqa: BLE001 - reported as a short message, never a traceback
        return book, EXIT_FAILURE, f"{book}: unexpected failure ({type(error).__name__}: {error})"


def cmd_refresh(args: argparse.Namespace) -> int:
    only = tuple(a.strip() for a in args.only.split(",") if a.strip()) if args.only else None
    books = [Path(b) for b in args.book]
    if len(books) > 1:
        if args.out or args.json or args.in_place:
            raise InputError("-o, --json and --in-place take a single workbook", fix="refresh the workbooks one by one")
        from concurrent.futures import ProcessPoolExecutor  # here: multiprocessing costs start-up time

        from xlcbec.book.atomic import check_output_paths

        check_output_paths(books, {f"the results of {b}": default_output(b) for b in books})
        workers = min(len(books), os.cpu_count() or 1, args.jobs or len(books))
        with ProcessPoolExecutor(max_workers=workers) as pool:
            results = list(pool.map(_refresh_worker, [(str(b), None, only) for b in books]))
        worst = EXIT_OK
        for _, code, message in results:
            print(message, file=sys.stderr if code else sys.stdout)
            worst = max(worst, code)
        return worst
    progress = Progress(enabled=not args.quiet)
    report, target = refresh_one(books[0], Path(args.out) if args.out else None, only,
                                 Path(args.json) if args.json else None, args.in_place, progress)
    if not args.quiet:
        print("\n".join(summary_lines(report, target)))
    return EXIT_OK


# --- demo, template, check ------------------------------------------------------------


def write_demo_inputs(path: Path) -> Path:
    """The template filled with the embedded demo data (real cities and pilot years, synthetic indicators)."""
    from xlcbec.book.template import write_input_workbook
    from xlcbec.demo_data import DEMO_NOTICE_EN, DEMO_NOTICE_ZH, make_demo_panel

    demo = make_demo_panel()
    return write_input_workbook(
        path, panel=demo.panel, cities=demo.cities, indicators=demo.indicators, policies=demo.policies,
        settings={"placebo_reps": 500, "bandwidth": 0.2},
        title="xlcbec demo (synthetic data)", description=f"{DEMO_NOTICE_EN}\n{DEMO_NOTICE_ZH}",
        notice=(DEMO_NOTICE_EN, DEMO_NOTICE_ZH),
    )


def cmd_demo(args: argparse.Namespace) -> int:
    import tempfile

    target = Path(args.path)
    if target.exists() and not args.force:
        raise InputError(f"'{target}' exists", fix="choose another name, or pass --force to replace it")
    with tempfile.TemporaryDirectory(prefix="xlcbec-demo-") as folder:
        inputs = write_demo_inputs(Path(folder) / "demo_inputs.xlsx")
        progress = Progress(enabled=not args.quiet)
        report, written = refresh_one(inputs, target, None, None, False, progress, overwrite=args.force)
    if not args.quiet:
        print("\n".join(summary_lines(report, written)))
        print("\nThe demo's indicator data are synthetic (real cities and pilot years); see the Log sheet.")
    return EXIT_OK


def cmd_template(args: argparse.Namespace) -> int:
    from xlcbec.book.template import write_template

    path = write_template(Path(args.path), language=args.lang, overwrite=args.force)
    print(f"Wrote {path}")
    return EXIT_OK


def check_output(book: Path) -> Path:
    """Where ``check --write`` puts BOOK with its Check sheet: BOOK stem + .check.xlsx, beside BOOK."""
    return book.with_name(book.stem + ".check.xlsx")


def _new_output_target(book: Path, out: Path | None, default: Path, *, overwrite: bool) -> Path:
    """The output path, refused before anything is read when it would clash (as refresh refuses)."""
    from xlcbec.book.atomic import check_output_paths

    target = Path(out) if out is not None else default
    if target.resolve() == book.resolve():
        raise InputError("the output would overwrite the input workbook", fix="choose another -o name")
    if target.suffix.lower() != ".xlsx":
        raise InputError(f"the output {target.name!r} must be an .xlsx file", fix="end the -o name with .xlsx")
    check_output_paths([book], {"-o" if out is not None else "the output workbook": target})
    if not overwrite and target.exists():
        raise InputError(f"'{target}' exists", fix="choose another name, or pass --force to replace it")
    _check_output_folder(target)
    return target


def cmd_check(args: argparse.Namespace) -> int:
    from xlcbec.jobs import check_book_report
    from xlcbec.readiness import readiness_lines

    book = Path(args.book)
    if not book.exists():
        raise InputError(f"the workbook {str(book)!r} does not exist", fix="check the path and the file name")
    if args.out and not args.write:
        raise InputError("-o names the workbook check --write writes", fix="add --write, or leave out -o")
    target = _new_output_target(book, Path(args.out) if args.out else None, check_output(book),
                                overwrite=args.force) if args.write else None
    only = tuple(a.strip() for a in args.only.split(",") if a.strip()) if args.only else None
    report = check_book_report(book, only=only)
    if target is not None:
        from xlcbec.book.result_package import save_results
        from xlcbec.jobs import write_check

        # Written with problems too: the Check sheet is the to-do list; the exit code still says 2.
        save_results(book, target, lambda backend: write_check(backend, report, source=str(book)),
                     overwrite=args.force)
        print(f"Wrote {target} (sheet Check)")
    for problem in report.problems:
        print(f"xlcbec: {problem}", file=sys.stderr)
    for warning in report.warnings:
        print(f"xlcbec: warning: {warning}", file=sys.stderr)
    for note in report.notes:
        print(f"note: {note}")
    if report.readiness:
        heading = "Once the problems are fixed:" if report.problems else "Readiness:"
        print("\n".join(["", heading, *readiness_lines(report.readiness), ""]))
    if report.problems:
        print(f"{book}: {len(report.problems)} problem(s) found", file=sys.stderr)
        return EXIT_INPUT
    warned = f"; {len(report.warnings)} warning(s)" if report.warnings else ""
    print(f"{book}: no problems found{warned}")
    return EXIT_OK


def cmd_import(args: argparse.Namespace) -> int:
    from xlcbec.jobs import import_tables

    report = import_tables([Path(s) for s in args.source], Path(args.out), into=Path(args.into) if args.into else None,
                           skip_unmatched=args.skip_unmatched, force=args.force)
    print("\n".join(report.lines()))
    return EXIT_OK


def cmd_report(args: argparse.Namespace) -> int:
    """``xlcbec report BOOK -o REPORT.docx``: the Word report of a refreshed workbook (BOOK is only read)."""
    import warnings

    from xlcbec.errors import XlcbecWarning
    from xlcbec.jobs import report_output, word_report

    book = Path(args.book)
    output = Path(args.out) if args.out else report_output(book)
    progress = Progress(enabled=not args.quiet)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", XlcbecWarning)
        written = word_report(book, output, language=args.lang, force=args.force, progress=progress)
    progress.done()
    for warning in caught:
        if issubclass(warning.category, XlcbecWarning):
            print(f"xlcbec: warning: {warning.message}", file=sys.stderr)
    print(f"Wrote {written}")
    return EXIT_OK


def cmd_addin(args: argparse.Namespace) -> int:
    from xlcbec.excel import addin

    if args.action == "build":
        from xlcbec.addin_build.build import build

        print(f"Wrote {build(Path(args.out) if args.out else None)}")
    elif args.action == "install":
        print(f"Installed {addin.install()}")
    else:
        print(addin.path())
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="xlcbec", description="Evaluate CBEC pilot zones in Excel workbooks.")
    parser.add_argument("--version", action="version", version=f"xlcbec {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    demo = sub.add_parser("demo", help="write the template filled with the demo panel and refresh every analysis")
    demo.add_argument("path", nargs="?", default="cbec_demo.xlsx")
    demo.add_argument("-q", "--quiet", action="store_true")
    demo.add_argument("--force", action="store_true", help="replace PATH if it exists")
    demo.set_defaults(func=cmd_demo)

    template = sub.add_parser("template", help="write an empty template")
    template.add_argument("path")
    template.add_argument("--lang", choices=("en", "zh"), default="en")
    template.add_argument("--force", action="store_true", help="replace PATH if it exists")
    template.set_defaults(func=cmd_template)

    refresh = sub.add_parser("refresh", help="run the analyses headless")
    refresh.add_argument("book", nargs="+")
    refresh.add_argument("-o", "--out")
    refresh.add_argument("--only", help="comma-separated analyses, e.g. baseline,event_study")
    refresh.add_argument("--json", help="also write the estimates as JSON")
    refresh.add_argument("--in-place", action="store_true", help="write the results into BOOK itself")
    refresh.add_argument("-j", "--jobs", type=int, default=0, help="parallel processes for several workbooks")
    refresh.add_argument("-q", "--quiet", action="store_true")
    refresh.set_defaults(func=cmd_refresh)

    check = sub.add_parser("check", help="validate the inputs and list every problem (exit 2 when there are problems)",
                           description="Validate the inputs and list every problem; exit 0 when a refresh will run, "
                           "2 when there are problems (also after --write has written the Check sheet).")
    check.add_argument("book")
    check.add_argument("--only", help="check for these analyses only (as refresh --only), e.g. baseline,psm")
    check.add_argument("--write", action="store_true",
                       help="also write a copy of BOOK with a Check sheet listing readiness, problems and warnings "
                       "(written even when there are problems; the exit code is then still 2); BOOK is only read")
    check.add_argument("-o", "--out", help="with --write: the workbook to write (default: BOOK stem + .check.xlsx)")
    check.add_argument("--force", action="store_true", help="with --write: replace the output if it exists")
    check.set_defaults(func=cmd_check)

    importer = sub.add_parser("import", help="yearbook-style tables (.xlsx or .csv, wide or long) into a template's Panel")
    importer.add_argument("source", nargs="+", help="tables: one sheet per variable with cities x years, or long tables")
    importer.add_argument("-o", "--out", required=True, help="the workbook to write (.xlsx)")
    importer.add_argument("--into", help="the template to fill (default: a fresh template); it is only read")
    importer.add_argument("--skip-unmatched", action="store_true", help="leave out rows whose city matches none of the 285")
    importer.add_argument("--force", action="store_true", help="replace the output if it exists")
    importer.set_defaults(func=cmd_import)

    report = sub.add_parser("report", help="write the Word report (.docx) of a refreshed workbook")
    report.add_argument("book")
    report.add_argument("-o", "--out", help="the .docx to write (default: BOOK stem + .report.docx)")
    report.add_argument("--lang", choices=("en", "zh"), help="language of the report (default: Settings language)")
    report.add_argument("--force", action="store_true", help="replace the report if it exists")
    report.add_argument("-q", "--quiet", action="store_true")
    report.set_defaults(func=cmd_report)

    addin_parser = sub.add_parser("addin", help="build or install the Excel add-in")
    addin_parser.add_argument("action", choices=("build", "install", "path"))
    addin_parser.add_argument("-o", "--out")
    addin_parser.set_defaults(func=cmd_addin)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args))
    except (InputError, InputErrors) as error:
        _print_problems(error)
        return EXIT_INPUT
    except XlcbecError as error:
        print(f"xlcbec: {error}", file=sys.stderr)
        return EXIT_INPUT
    except KeyboardInterrupt:
        print("xlcbec: interrupted; nothing was written", file=sys.stderr)
        return EXIT_FAILURE
    except Exception as error:  # noqa: BLE001 - the user gets a short message, not a traceback
        if os.environ.get("XLCBEC_DEBUG"):
            raise
        print(f"xlcbec: unexpected failure ({type(error).__name__}: {error}); nothing was written. "
              "Set XLCBEC_DEBUG=1 to see the details, and please report it.", file=sys.stderr)
        return EXIT_FAILURE


def run() -> NoReturn:
    """The ``xlcbec`` command (and ``python -m xlcbec``): :func:`main`, then a quick exit.

    Everything a command writes is complete, closed and renamed into place
    before ``main`` returns.  What a normal exit adds after that is the
    interpreter's teardown of every imported module and object (pandas,
    openpyxl, the frames): about a fifth of a one-analysis refresh, waited for
    at every click.  So the exit handlers run (those of logging and
    multiprocessing), the output is flushed, and the process ends without the
    teardown.  With other threads still running, the usual exit waits for them.
    """
    code = main()
    if threading.active_count() > 1:
        raise SystemExit(code)
    try:
        atexit._run_exitfuncs()  # what Python runs at exit, less the teardown of modules
    finally:
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except Exception:  # noqa: BLE001 - a closed pipe: nothing more can be said
                pass
        os._exit(code)


if __name__ == "__main__":
    run()
