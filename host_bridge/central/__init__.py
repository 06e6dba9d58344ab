"""The network's central service (issue 14, docs/network.md): every site's events from NATS
JetStream into PostgreSQL, the sites' states, answers to their requests (where to resume, their
history, their published site file), and the network's pages. `suivant central …`."""
