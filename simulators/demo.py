"""What `suivant demo` adds to a running bridge: the example site's virtual boards and the desk
view that draws them.

    lines = start_demo(bridge, host, desk_port)     # -> the banner's lines; stopped with the bridge
"""
from __future__ import annotations

from typing import Any

from .demo_boards import start_demo_boards
from .desk_view import DeskView


def start_demo(bridge: Any, host: str, desk_port: int) -> list[str]:
    mqtt = bridge.settings.mqtt
    farm = start_demo_boards(bridge.registry, bridge.settings.site, (mqtt.host, mqtt.port))
    bridge.links.append(farm)  # the bridge stops its links last first: the view, then the boards
    view = DeskView(farm, host, desk_port).start()
    bridge.links.append(view)
    return [f"  desk view (the {len(farm.boards)} virtual boards; click their buttons): "
            f"http://{host}:{desk_port}/"]
