"""`matchboard serve | demo | rehearse | create | import | export | schedule | tokens`.

The argument parser and `main`; the commands themselves are in server/edge/cli_serve.py
(serving) and server/edge/cli_events.py (work on one event).
"""

from __future__ import annotations

import argparse
import signal
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from server.core import printed
from server.core.errors import ImportFailed, MatchboardError
from server.demo.rehearsal_plan import RehearsalOptions
from server.edge.cli_events import cmd_create, cmd_schedule, cmd_tokens
from server.edge.cli_plan import add_plan_arguments, cmd_plan
from server.edge.cli_print import cmd_print
from server.edge.cli_serve import REHEARSE_OPTIONS, cmd_demo, cmd_rehearse, cmd_serve
from server.edge.cli_sheets import cmd_export_file, cmd_import_file


def _rehearse_arguments(p: argparse.ArgumentParser) -> None:
    defaults = RehearsalOptions()
    p.add_argument("--host")
    p.add_argument("--port", type=int)
    for flag, name, kind, help_ in REHEARSE_OPTIONS:
        default = getattr(defaults, name)
        shown = f"{default:g}" if kind is float else default
        metavar = {int: "N", str: "ID"}.get(kind) or flag.rsplit("-", 1)[-1].upper()
        p.add_argument(flag, dest=name, type=kind, default=default, metavar=metavar,
                       help=f"{help_} (default {shown})")  # fmt: skip
    p.add_argument("--moderator", choices=["auto", "manual"], default="auto",
                   help="auto: a built-in moderator handles the alerts; manual: you do, in "
                        "the console (default auto)")  # fmt: skip
    p.add_argument("--keep-serving", action=argparse.BooleanOptionalAction, default=False,
                   help="after the report, keep serving to look at the screens")  # fmt: skip
    p.add_argument("--report", metavar="FILE", help="also write the report (JSON) to FILE")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="matchboard", description="Run the live side of a B2B matchmaking event."
    )
    sub = parser.add_subparsers(dest="command", required=True)

    def command(name: str, handler: Callable[[argparse.Namespace], None], help_: str,
                *, event: bool = True) -> argparse.ArgumentParser:  # fmt: skip
        p = sub.add_parser(name, help=help_, description=help_)
        p.set_defaults(handler=handler)
        p.add_argument("--data-dir", help="folder for the embedded Redis (default: ./data)")
        if event:
            p.add_argument("event", help="event id, e.g. icmc-2026")
        return p

    serve = command("serve", cmd_serve, "Serve the API and live updates.", event=False)
    demo = command("demo", cmd_demo, "Serve the sample conference, starting soon.", event=False)
    for p in (serve, demo):
        p.add_argument("--host")
        p.add_argument("--port", type=int)
    demo.add_argument("--event", default="icmc-2026")
    demo.add_argument("--round-minutes", type=int, default=20, help="meeting length (default 20)")
    demo.add_argument("--start-in-minutes", type=float, default=1.0,
                      help="round 1 starts this long after launch (default 1)")  # fmt: skip
    demo.add_argument("--participants", type=int, default=250)
    demo.add_argument("--keep", action="store_true",
                      help="keep the existing demo event instead of re-creating it")  # fmt: skip
    rehearse_help = "Play an event day against the server with simulated people, then report."
    _rehearse_arguments(command("rehearse", cmd_rehearse, rehearse_help, event=False))

    create = command("create", cmd_create, "Create an empty event and print its tokens.")
    create.add_argument("--name", required=True)
    create.add_argument("--timezone", default="UTC")
    create.add_argument("--venue", default="")

    plan_help = "Set the event's days, rounds, breaks and tables (see --day)."
    add_plan_arguments(command("plan", cmd_plan, plan_help))

    imp_help = "Import participants, meetings or a plan (CSV or XLSX), or JSON."
    imp = command("import", cmd_import_file, imp_help)
    imp.add_argument("file")
    imp.add_argument("--kind", choices=["participants", "meetings", "json", "plan"],
                     help="default: from the file name and header (.xlsx: each sheet by its "
                          "name, Plan, Participants or Meetings)")  # fmt: skip

    exp = command("export", cmd_export_file, "Export the schedule and outcomes.")
    exp.add_argument("--what", choices=["schedule", "participants", "event", "badges", "breaks",
                                        "outcomes", "agendas"],
                     default="schedule",
                     help="schedule, participants, badges or breaks (idle breaks per person) "
                          "as CSV, or event as JSON; schedule, outcomes or agendas as xlsx "
                          "(one workbook with all three, this sheet first)")  # fmt: skip
    exp.add_argument("--format", choices=["csv", "json", "xlsx"],
                     help="default: json for event, csv for the others; "
                          "breaks can be either")  # fmt: skip
    exp.add_argument("-o", "--output", help="file to write (default: standard output)")

    sch_help = "Place meeting requests in rounds and tables with the fewest idle breaks."
    sch = command("schedule", cmd_schedule, sch_help)
    sch.add_argument("--fast", action="store_true",
                     help="the quick baseline, not the optimiser (no fewest breaks)")  # fmt: skip
    sch.add_argument("--time-limit", type=float, default=30.0, metavar="SECONDS",
                     help="the optimiser's time limit (default 30)")  # fmt: skip
    sch.add_argument("--seed", type=int, default=0, help="the optimiser's random seed")
    sch.add_argument("--workers", type=int, default=0,
                     help="cores the optimiser uses (default 0: all of them)")  # fmt: skip
    sch.add_argument("--fairness", default="2", metavar="N|none",
                     help="at most N more idle breaks for one participant than another "
                          "(default 2; none: no bound)")  # fmt: skip
    sch.add_argument("--reschedule", action="store_true",
                     help="also move the scheduled meetings of rounds not begun")  # fmt: skip
    sch.add_argument("--preview", action="store_true",
                     help="show what would change, store nothing")  # fmt: skip
    sch.add_argument("--save-plan", type=Path, metavar="FILE",
                     help="with --preview: write what it would store to FILE (JSON)")  # fmt: skip
    sch.add_argument("--apply", type=Path, metavar="FILE",
                     help="store a plan saved by --preview --save-plan, exactly as shown "
                          "(no new solve; refused if its meetings changed since)")  # fmt: skip
    command("tokens", cmd_tokens, "Print the event's tokens and participant links.")

    pr = command("print", cmd_print, "Print agendas, table signs, badges or round sheets (PDF).")
    pr.add_argument("--what", choices=list(printed.WHATS), required=True,
                    help="agenda: one per person and page; tables: a sign per table; badges: "
                         "eight to a page; rounds: the moderator's sheet per round")  # fmt: skip
    pr.add_argument("--participant", action="append", metavar="ID",
                    help="agendas or badges only for these people (the organiser's ids or "
                         "ours; repeat it or separate with commas; default: everyone)")  # fmt: skip
    pr.add_argument("--round", type=int, metavar="N", help="rounds: only this round's sheet")
    pr.add_argument("--paper", choices=list(printed.PAPERS), default="a4", help="(default a4)")
    pr.add_argument("-o", "--output", metavar="FILE",
                    help="the PDF to write (default: EVENT-WHAT.pdf here)")  # fmt: skip
    return parser


def where(err: dict[str, Any]) -> str:
    """Where an import error is: "meetings.csv line 3, column round", "people.xlsx, sheet
    Participants, row 4, column email", "command line, day 1, option --break"."""
    column = err.get("column")
    if not (err.get("sheet") or err.get("unit")):
        return f"{err['file']} line {err['line']}" + (f", column {column}" if column else "")
    parts = [err["file"], *([f"sheet {err['sheet']}"] if err.get("sheet") else [])]
    if err["line"]:
        parts.append(f"{err.get('unit') or 'line'} {err['line']}")
    if column:
        parts.append(f"option {column}" if str(column).startswith("--") else f"column {column}")
    return ", ".join(parts)


_first_signal: list[int] = []


def _exit_on_signal(signum: int, _frame: Any) -> None:
    # SIGTERM and SIGHUP unwind like Ctrl-C, so that the embedded redis-server started by
    # `demo`, `serve` or `rehearse` is stopped by its context manager instead of being
    # left behind (their default action ends the process on the spot). uvicorn handles
    # SIGTERM itself while serving (its handler replaces this one meanwhile) and re-raises
    # it here once it has shut down. It does not handle SIGHUP: raising SystemExit inside
    # its event loop would skip the app's shutdown and leave asyncio.run waiting, without
    # a bound, for every task to end. So while uvicorn serves, SIGHUP becomes SIGTERM; the
    # exit code still names the signal that came first.
    if not _first_signal:
        _first_signal.append(signum)
    if signum != signal.SIGTERM and signal.getsignal(signal.SIGTERM) is not _exit_on_signal:
        signal.raise_signal(signal.SIGTERM)  # uvicorn is serving: shut it down gracefully
        return
    raise SystemExit(128 + _first_signal[0])


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, _exit_on_signal)
    try:
        args.handler(args)
    except ImportFailed as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        for err in exc.details.get("errors", []):
            print(f"  {where(err)}: {err['reason']}", file=sys.stderr)
        return 2
    except MatchboardError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
