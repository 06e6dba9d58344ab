"""Over-the-air firmware updates (docs/protocol.md §9): builds, rollouts, the bridge's side."""
