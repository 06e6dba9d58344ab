"""The error every `suivant central …` command raises for a refusal: `suivant` prints it as
`suivant: <message>` and exits 2 (host_bridge/cli.py)."""


class CentralCliError(Exception):
    pass
