"""The site's side of a network of sites (issue 14, docs/network.md): the publisher that sends
the site's event history to central through NATS JetStream, and what both sides say (wire)."""
