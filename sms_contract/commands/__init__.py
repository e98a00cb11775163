"""Subcommands of ``sms-contract``: each module has ``register(subparsers)``."""
