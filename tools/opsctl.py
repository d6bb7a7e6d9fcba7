"""opsctl — the operators' command-line tool (docs/operations.md).

It runs with the platform's own settings (the environment variables of docs/configuration.md:
the broker, the event stores and their credentials), reads each service's store and queues
directly, and needs no service to be running. Times are shown in UTC and in the Jalali
calendar (Tehran time). Personal data stays sealed unless --reveal is given.

  dead-letters list <service>                     what a service could not handle, and why
  dead-letters show <service> <message-id>        one dead letter, its envelope decoded
  dead-letters replay <service> <message-id>|--all  back onto the service's work queue
  relay-lag [<service> ...]                       stored events not yet confirmed by the broker
  events <service> <stream-id>                    one stream's stored events, decoded
  rebuild <service> [<projection>]                drop a projection and rebuild it from the log
  timeline <business-id>                          every public event about one business, in order
"""

from __future__ import annotations

import warnings

# eventlet (imported by nameko and the kernel) announces its maintenance mode on import.
warnings.filterwarnings("ignore", message="Eventlet is deprecated")

import argparse  # noqa: E402
import sys  # noqa: E402
from typing import TextIO  # noqa: E402

from shared.events.catalog import SERVICES  # noqa: E402
from shared.kernel.config import Settings  # noqa: E402
from tools.ops import dead_letters, inspect, rebuild, timeline  # noqa: E402


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="python -m tools.opsctl", description=__doc__,
                                   formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = root.add_subparsers(dest="command", required=True, metavar="command")

    letters = commands.add_parser("dead-letters", help="list, show or replay a service's dead letters")
    actions = letters.add_subparsers(dest="action", required=True, metavar="action")
    listing = actions.add_parser("list", help="every dead letter of a service, with its reason")
    listing.add_argument("service", choices=SERVICES)
    show = actions.add_parser("show", help="one dead letter in full")
    show.add_argument("service", choices=SERVICES)
    show.add_argument("message_id")
    again = actions.add_parser("replay", help="put dead letters back on the work queue (fresh attempts)")
    again.add_argument("service", choices=SERVICES)
    which = again.add_mutually_exclusive_group(required=True)
    which.add_argument("message_id", nargs="?", help="a message id from `list`")
    which.add_argument("--all", action="store_true", help="every dead letter of the service")

    lag = commands.add_parser("relay-lag", help="each relay's checkpoint against its log's newest position")
    lag.add_argument("services", nargs="*", metavar="service", help=f"default: all of {', '.join(SERVICES)}")

    stream = commands.add_parser("events", help="one stream's stored events, decoded")
    stream.add_argument("service", choices=SERVICES)
    stream.add_argument("stream_id", help="the aggregate's id (a UUID)")
    stream.add_argument("--reveal", action="store_true", help="show personal data whose key still exists")
    stream.add_argument("--json", action="store_true", help="one JSON object per line")

    build = commands.add_parser("rebuild", help="drop a projection and rebuild it from the service's log")
    build.add_argument("service", choices=SERVICES)
    build.add_argument("projection", nargs="?", help="omit to list the service's projections")

    line = commands.add_parser("timeline", help="every public integration event about one business, in order")
    line.add_argument("business_id", help="the business's tenant id (a UUID)")
    line.add_argument("--reveal", action="store_true", help="show personal fields (business name, mobile …)")
    line.add_argument("--json", action="store_true", help="one JSON object per line")
    return root


def main(argv: list[str] | None = None, base: Settings | None = None, out: TextIO | None = None) -> int:
    args = parser().parse_args(argv)
    base = base or Settings(service="opsctl")
    out = out or sys.stdout
    if args.command == "dead-letters":
        if args.action == "list":
            return dead_letters.list_letters(base, args.service, out)
        if args.action == "show":
            return dead_letters.show_letter(base, args.service, args.message_id, out)
        return dead_letters.replay(base, args.service, None if args.all else args.message_id, out)
    if args.command == "relay-lag":
        unknown = [s for s in args.services if s not in SERVICES]
        if unknown:
            print(f"unknown service(s): {', '.join(unknown)}; known: {', '.join(SERVICES)}", file=sys.stderr)
            return 2
        return inspect.relay_lag(base, args.services, out)
    if args.command == "events":
        return inspect.events(base, args.service, args.stream_id, args.reveal, args.json, out)
    if args.command == "rebuild":
        return rebuild.rebuild(base, args.service, args.projection, out)
    return timeline.timeline(base, args.business_id, args.reveal, args.json, out)


if __name__ == "__main__":
    sys.exit(main())
