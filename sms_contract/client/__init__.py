"""The reference client: what a careful integrator's code does.

``sms_client`` (:class:`~sms_contract.client.sms_client.SmsClient`) over one transport seam
(:mod:`sms_contract.transports`); ``config`` (credentials, base URLs, the retry policy);
``auth`` (where the bearer token comes from); ``retrying`` (the exchange loop); ``encoding``
(arguments to request parts); ``results`` (what a send came to); ``strict`` (sends validated
against the spec before they leave). The public names are re-exported by :mod:`sms_contract`.
"""
