"""Hypothesis strategies for ``POST /messaging/v1/sms/messages/{messageKey}``.

Valid payloads cover the whole documented space; invalid payloads each break exactly one rule
of :data:`sms_contract.spec.rules.RULES` and carry it as their label. Pure: no I/O, and no
import of the spec oracle (``sms_contract.spec.loading``): generator and judge are different
code.

Live safety: a ``to`` that looks deliverable only ever comes from the caller's allow-list. The
only generated ``to`` values belong to the rules about ``to`` and cannot be a mobile number
(letters, empty, 20 or more digits). Descriptions never contain a phone number or an attribute
value; the ``repr`` of a case omits the body.

The modules: ``cases`` (:class:`~sms_contract.strategies.cases.SendCase`, ``InvalidSend``),
``keys`` (messageKeys), ``recipients`` (numbers, contactKeys, attributes), ``messages``
(content.message texts), ``valid`` and ``invalid`` (whole sends), ``mutations`` (one
invalid-send generator per rule), ``alphabets``, and ``sampling`` (deterministic draws outside a
test). The SMS text rules (GSM 03.38 tables, segment counting) are
:mod:`sms_contract.spec.sms_text`.
"""
