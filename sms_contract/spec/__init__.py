"""The contract, read once: the OpenAPI spec written from the vendor documentation, and the facts
it rests on.

``loading`` reads and checks the spec (:class:`~sms_contract.spec.loading.Spec`); ``endpoints``
names the API's paths and operation ids once; ``oracle``, ``document``, ``issues`` and ``model``
are its parts (the ``jsonschema`` oracle, walking the raw document, the wording of issues, the
values); ``rules`` is the table of documented validation rules; ``sms_text`` the SMS segment
rules; ``diff`` the breaking changes between two spec versions; ``yaml_files`` the one reader of
YAML files.
"""
