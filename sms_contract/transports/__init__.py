"""The one I/O seam: ``base`` (the :class:`~sms_contract.transports.base.Transport` protocol and
its timeouts), ``http`` (HTTP over ``requests``) and ``wsgi`` (a WSGI application in-process).
Foreign exceptions are translated into :mod:`sms_contract.errors` here and nowhere else."""
