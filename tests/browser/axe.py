"""axe-core (the npm registry's, pinned) run inside a page: the accessibility check of each page.

    violations = serious_violations(page)     # [] when the page has none serious or critical
"""
from __future__ import annotations

from simulators.micropython_port import npm_package

AXE_VERSION = "4.11.0"


def serious_violations(page) -> list[str]:
    axe = npm_package("axe-core", "axe-core", AXE_VERSION, "axe.min.js") / "axe.min.js"
    page.add_script_tag(path=str(axe))
    result = page.evaluate("""async () => {
        const r = await axe.run(document, {runOnly: {type: 'tag',
            values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}});
        return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
            nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))}));
    }""")
    return [f"{v['impact']}: {v['id']} ({v['help']}) at {v['nodes']}" for v in result
            if v["impact"] in ("serious", "critical")]
