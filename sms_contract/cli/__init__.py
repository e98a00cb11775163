"""The ``sms-contract`` command: ``main`` (the argparse entry, error families to exit codes),
``options`` (the target flags shared by run, record and drift), and one module per subcommand.
This package is the only one that prints."""
