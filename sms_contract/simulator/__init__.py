"""A server double of the documented SMS API: in-process (``inprocess.simulate``) or on loopback
(``server.serve_in_thread``); ``sms-contract serve`` is :mod:`sms_contract.cli.serve`.

    simulator = Simulator(SimulatorConfig(), clock=ManualClock())
    with simulate(simulator):                      # requests to the .invalid base URLs
        ...
    with serve_in_thread(simulator) as server:     # a real socket on 127.0.0.1
        ... server.base_url ...

The modules: ``app`` (the WSGI app), ``config`` (credentials, definitions, faults, deviations),
``state``, ``routes``, ``auth``, ``sends``, ``definitions``, ``validation``, ``deviations``,
``faults``, ``wire`` (encoding replies), ``clock``, ``inprocess`` and ``server``. The public
names are re-exported by :mod:`sms_contract`.
"""
