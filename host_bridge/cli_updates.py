"""`suivant device update`: over-the-air firmware updates of the registered boards.

    suivant device update --config site.toml [--role R | --device ID ...] [--wave N]
                          [--confirm-after S]        # build, then hand the rollout to the bridge
    suivant device update --config site.toml --status
    suivant device update --config site.toml --stop

The command builds the firmware for each (role, link) chosen and writes the rollout into the
device registry's file; the running bridge (`suivant serve`) carries it out within seconds:
one canary per role first, then waves. It stops by itself on a board that refuses the build,
rolls back, or does not come back (docs/operations.md, "Updating the boards").
"""
from __future__ import annotations

import argparse

from .cli_devices import SITE_HELP, CliError, _registry
from .site_config import load


def _store(settings):
    from .ota.store import UpdateStore
    return UpdateStore(settings.devices_path)


def cmd_device_update(args: argparse.Namespace) -> int:
    settings = load(args.config)
    if args.status or args.stop:
        return _status(settings, stop=args.stop)
    from .ota.plan import plan
    registry = _registry(settings)
    try:
        devices = registry.all()
    finally:
        registry.close()
    chosen = devices
    if args.device:
        known = {d.id: d for d in devices}
        unknown = [i for i in args.device if i not in known]
        if unknown:
            raise CliError(f"no device {', '.join(map(repr, unknown))} in "
                           f"{settings.devices_path}")
        chosen = [known[i] for i in args.device]
    if args.role:
        chosen = [d for d in chosen if d.role == args.role]
    if not chosen:
        raise CliError("no board to update" + (f" with role {args.role}" if args.role else ""))
    store = _store(settings)
    try:
        rollout, steps, builds = plan(store, chosen, args.wave, args.confirm_after)
    except ValueError as exc:
        raise CliError(str(exc)) from None
    finally:
        store.close()
    for (role, link), build in sorted(builds.items()):
        print(f"build {build}: {role} on {link}")
    print(f"rollout {rollout}: {len(chosen)} board(s) in {len(steps)} step(s)")
    for i, step in enumerate(steps):
        name = "canaries" if i == 0 else f"wave {i}"
        print(f"  {name:9} {' '.join(d.id for d in step)}")
    print("the running bridge starts it within seconds; follow it with --status, "
          "`suivant device list` or the administration page")
    return 0


def _status(settings, stop: bool) -> int:
    store = _store(settings)
    try:
        rollout = store.latest_rollout()
        if rollout is None:
            print("no update was ever started")
            return 0
        if stop:
            store.finish(rollout.id, "stopped", "stopped by hand")
            rollout = store.latest_rollout()
            assert rollout is not None
        print(f"rollout {rollout.id} ({rollout.created_at}): {rollout.state}"
              + (f" — {rollout.reason}" if rollout.reason else ""))
        for t in store.targets(rollout.id):
            print(f"  {t.device:20} step {t.step}  build {t.build:<4} {t.state:12} "
                  f"{t.detail or ''}")
    finally:
        store.close()
    return 0


def add_update_parser(dsub) -> None:  # type: ignore[no-untyped-def]
    u = dsub.add_parser("update", help="update the boards' firmware over their link: a canary "
                                       "per role, then waves; stops by itself on a failure")
    u.add_argument("--config", required=True, help=SITE_HELP)
    u.add_argument("--role", choices=("counter", "display", "hall", "feedback"),
                   help="only the boards of this role")
    u.add_argument("--device", nargs="+", metavar="ID", help="only these boards")
    u.add_argument("--wave", type=int, default=5,
                   help="boards updated together after the canaries (default 5)")
    u.add_argument("--confirm-after", type=int, default=300, metavar="S",
                   help="seconds a new build must run online before it is kept (default 300); "
                        "a board that resets before goes back to its old build")
    u.add_argument("--status", action="store_true", help="show the latest rollout, board by "
                                                         "board")
    u.add_argument("--stop", action="store_true", help="stop the running rollout (boards keep "
                                                       "what they run)")
    u.set_defaults(func=cmd_device_update)
