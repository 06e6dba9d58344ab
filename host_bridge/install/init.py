"""The steps of `suivant init`: everything is checked before the first file is written, and no
file that exists is replaced (site data never; the others only with --force)."""
from __future__ import annotations

import os
import secrets
import tomllib
from dataclasses import dataclass
from pathlib import Path

from ..site_config import ConfigError, load, parse
from ..staff.accounts import AccountRefused, check_fields, check_login
from ..staff.passwords import password_problem
from . import files, leftovers, system_user, templates
from .layout import InitRefused, Layout, check_site_name, check_user, existing, site_id_from


@dataclass(frozen=True)
class InitRequest:
    site_name: str
    layout: Layout
    user: str
    site_id: str | None = None
    public_url: str | None = None
    mosquitto_url: str | None = None  # the site's Mosquitto, as the boards reach it
    mosquitto_pid_file: str = "/run/mosquitto/mosquitto.pid"
    admin_login: str = "admin"
    admin_name: str = "Administrateur"
    admin_password: str | None = None  # None: one is made and printed once
    serve_options: tuple[str, ...] = ("--host", "127.0.0.1", "--port", "8080")
    force: bool = False


def run(req: InitRequest) -> list[str]:
    """Do it; the lines to print. InitRefused (nothing written) when something is wrong."""
    name, user, layout = check_site_name(req.site_name), check_user(req.user), req.layout
    site_id = req.site_id or site_id_from(name)
    password = req.admin_password or secrets.token_urlsafe(15)  # 20 characters
    _check_account(req.admin_login, req.admin_name, password)
    own = leftovers.of_init(layout)  # an init stopped midway: what it made is replaced
    taken = [p for p in existing(layout.data_files()) if p not in own]
    if taken:
        raise InitRefused(f"{', '.join(map(str, taken))} already exist: this data folder holds "
                          "a site; nothing was written (choose another --data-dir, or move "
                          "them away: init never replaces a site's data)")
    taken = existing(layout.config_files()) + own
    if taken and not req.force:
        raise InitRefused(f"{', '.join(map(str, taken))} already exist; nothing was written "
                          "(--force replaces them)")
    # first: it refuses the paths systemd cannot take, which the site file's comments name too
    unit_text = templates.unit_file(layout, name, user, list(req.serve_options),
                                    req.mosquitto_url is not None)
    mqtt_password = secrets.token_urlsafe(24) if req.mosquitto_url else None
    site_text = templates.site_file(layout, name, site_id, req.public_url, req.mosquitto_url,
                                    mqtt_password)
    try:  # what check-config would say, before anything is written
        parse(tomllib.loads(site_text), str(layout.site_file))
    except ConfigError as exc:
        raise InitRefused(f"{exc.key}: {exc.reason} (from the options given); nothing was "
                          "written") from None
    except tomllib.TOMLDecodeError as exc:  # a value templates.site_file did not escape
        raise InitRefused(f"the site file made from the options given is not valid TOML "
                          f"({exc}): please report it; nothing was written") from None
    folders = [layout.config_dir, layout.data_dir, layout.unit_dir, layout.mosquitto_dir]
    closed = [str(f) for f in folders if f is not None and not files.writable(f)]
    if closed:
        raise InitRefused(f"cannot write in {', '.join(closed)}: run it as root, or give "
                          "folders of your own (--config-dir, --data-dir, --unit-dir, "
                          "--mosquitto-dir); nothing was written")
    try:
        return _write_all(req, _Prepared(name, user, site_id, password, site_text, unit_text,
                                         mqtt_password, tuple(own)))
    except OSError as exc:  # a full disk, a folder changed meanwhile: say it, no traceback
        raise InitRefused(f"stopped: {exc.filename or ''}: {exc.strerror or exc}; what was "
                          "written before stays (run it again with --force once fixed)") from None


@dataclass(frozen=True)
class _Prepared:
    """What init writes, made and checked before the first file is."""
    name: str
    user: str
    site_id: str
    password: str
    site_text: str
    unit_text: str
    mqtt_password: str | None
    leftovers: tuple[Path, ...]  # what an init stopped midway made in the data folder


def _write_all(req: InitRequest, p: _Prepared) -> list[str]:
    layout, user, lines = req.layout, p.user, []
    owner = None
    if system_user.is_root():
        if system_user.ensure_user(user, layout.data_dir):
            lines.append(f"made the system user {user}")
        owner = system_user.ids(user)
    leftovers.remove(list(p.leftovers))
    # init hands over only what it makes: a folder given that holds other files (/etc, /srv)
    # keeps its owner, and so do they
    ours = _names_of_init(layout)
    theirs = [f for f in (layout.config_dir, layout.data_dir) if files.names(f) - ours]
    before = files.names(layout.data_dir)
    for folder in dict.fromkeys((layout.config_dir, layout.data_dir)):
        folder.mkdir(parents=True, exist_ok=True, mode=0o750)
        if folder not in theirs:
            system_user.hand_over([folder], owner)
        elif owner is not None:
            lines.append(f"{folder} holds other files: init left its owner and theirs as they "
                         f"were; the bridge writes in it: let {user} write there (setfacl -m "
                         f"u:{user}:rwx {folder}), or choose a folder of its own")
    files.write(layout.site_file, p.site_text, 0o640, owner)
    lines.append(f"wrote {layout.site_file} (site {p.site_id!r}; the bridge's broker password is "
                 "in it: mode 0640)" if p.mqtt_password else f"wrote {layout.site_file} "
                 f"(site {p.site_id!r})")
    settings = load(layout.site_file)
    _add_admin(settings, req.admin_login, req.admin_name, p.password)
    lines.append(f"made the administrator account {req.admin_login!r} in {layout.data_dir}")
    if req.mosquitto_url:
        lines += _mosquitto(layout, req.mosquitto_pid_file)
    made = [layout.data_dir / n for n in sorted(files.names(layout.data_dir) - before)]
    files.make_private(made)  # password hashes, the boards' keys: the service's alone
    system_user.hand_over(made, owner)
    layout.unit_dir.mkdir(parents=True, exist_ok=True)
    files.write(layout.unit, p.unit_text, 0o644, None)
    lines.append(f"wrote {layout.unit}")
    if req.admin_password is None:
        lines.append(f"administrator {req.admin_login!r}, password: {p.password}   (shown once: "
                     "keep it; change it with suivant agent reset-password)")
    return lines


def _names_of_init(layout: Layout) -> set[str]:
    """What init writes in the config and data folders (a rerun finds them there)."""
    made = [layout.site_file, *layout.data_files()]
    return {p.name + suffix for p in made for suffix in leftovers.COMPANIONS}


def _check_account(login: str, name: str, password: str) -> None:
    try:
        check_login(login)
        check_fields(name, "admin", [], None)
    except AccountRefused as exc:
        raise InitRefused(f"the administrator's {exc}; nothing was written") from None
    problem = password_problem(password)
    if problem:
        raise InitRefused(f"the administrator's password: {problem}; nothing was written")


def _add_admin(settings, login: str, name: str, password: str) -> None:
    from ..service.clock import SiteClock
    from ..staff import StaffDirectory, staff_path
    clock = SiteClock(settings.site.timezone)
    staff = StaffDirectory(staff_path(settings.db_path), clock, clock.tz)
    try:
        staff.create("init", login, name, "admin", [], password, via="cli")
    finally:
        staff.close()


def _mosquitto(layout: Layout, pid_file: str) -> list[str]:
    """Mosquitto's accounts, as `suivant broker-config` writes them, noted in the registry: the
    device commands keep them up to date and reload Mosquitto. Not reloaded now: Mosquitto
    does not read them yet (section 15, step 3 includes them, then restarts it), and the
    Mosquitto running may serve other sites."""
    from ..links.mosquitto_config import write_broker_config
    from ..links.registry import BrokerFiles, DeviceRegistry
    settings, folder = load(layout.site_file), layout.mosquitto_dir
    assert folder is not None
    folder.mkdir(parents=True, exist_ok=True, mode=0o750)
    group = system_user.group_id("mosquitto")
    if system_user.is_root() and group is not None:  # its files then take the broker's group
        os.chown(folder, 0, group)
    mqtt = settings.mqtt
    assert mqtt.username is not None and mqtt.password is not None  # init's own [mqtt]
    registry = DeviceRegistry(settings.devices_path,
                              frozenset(k.number for k in settings.site.counters))
    try:
        written = write_broker_config(folder, settings.site.id, registry.all(), mqtt.username,
                                      mqtt.password, mqtt.port)
        registry.set_broker_files(BrokerFiles(str(written.conf.parent), pid_file))
    finally:
        registry.close()
    return [f"wrote {written.passwd}, {written.acl} and {written.conf}: Mosquitto reads them "
            f"once {written.conf.name} is in its conf.d and it is restarted (docs/operations.md, "
            "section 15, step 3)"]
