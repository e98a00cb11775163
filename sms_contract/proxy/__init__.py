"""``sms-contract proxy``: a reverse proxy in front of an application's own traffic to the SMS API.

It forwards every request to the upstream (a tenant, or the simulator) byte for byte, and the
answer back byte for byte; it never changes what passes and never sends anything of its own.
Each exchange is judged with the catalogue's passive claims (``judging``: the checks that read
an answer, applied to what the application happened to send), scrubbed before anything of it
is kept, and optionally recorded as a cassette (``watch``).

- ``settings``: where to listen and where to forward, refused when unsafe;
- ``forwarding``: one request to the upstream and its answer, as bytes;
- ``judging``: which catalogue claims can be judged on observed traffic, and how (pure);
- ``watch``: the locked state of a proxy session: numbering, scrubbing, verdicts, cassettes;
- ``server``: the listening side, serving concurrent clients.
"""
