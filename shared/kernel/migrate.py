"""Before a rollout (the Kubernetes Job `platform-migrate`, or by hand):

    python -m shared.kernel.migrate [service ...]

declares the whole AMQP topology (exchanges, every service's work, retry and dead-letter
queues, their bindings: shared/kernel/topology.py) and creates each service's stores: its
event store database and tables (events, inbox tracking), its subject-key vault and the
relay checkpoint table. Idempotent: run it before every rollout; running it twice, or beside
services that are up, changes nothing. Services do the same at start; the Job makes sure a
new consumer's queue exists before the new version of any producer publishes.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace

from shared.events.catalog import SERVICES
from shared.kernel import topology
from shared.kernel.config import Settings
from shared.kernel.relay import checkpoint_for
from shared.kernel.store import ServiceApplication


def _application_for(settings: Settings) -> ServiceApplication:
    # The tables are named after the application (<service>_events, <service>_tracking), so a
    # bare ServiceApplication with the service's name creates exactly what the service uses,
    # without importing the service's code.
    named = type(f"{settings.service.title()}Schema", (ServiceApplication,), {"name": settings.service})
    app: ServiceApplication = named(settings)
    return app


def migrate_service(settings: Settings) -> None:
    app = _application_for(settings)  # creates database, event and tracking tables, key vault
    app.close()
    checkpoint_for(settings).close()  # creates the relay checkpoint table


def main(argv: list[str] | None = None, base: Settings | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m shared.kernel.migrate", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("services", nargs="*", choices=[[], *SERVICES], metavar="service",
                        help=f"services whose stores to create (default: all of {', '.join(SERVICES)})")
    which = parser.add_mutually_exclusive_group()
    which.add_argument("--topology-only", action="store_true", help="declare the AMQP topology only")
    which.add_argument("--stores-only", action="store_true",
                       help="create the stores only (Kubernetes: one init container per service, each "
                            "with that service's database credentials alone)")
    args = parser.parse_args(argv)
    base = base or Settings(service="migrate")
    if not args.stores_only:
        topology.declare(base)
        print(f"topology declared in namespace {base.namespace}")
    if not args.topology_only:
        for service in args.services or SERVICES:
            migrate_service(replace(base, service=service))
            print(f"{service}: stores ready ({base.event_store})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
