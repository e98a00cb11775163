"""Recorded exchanges: ``cassettes`` (the format and its provenance), ``matching`` (which
recording a request is) and ``replay`` (the mock with recordings: cassettes first, the
simulator for the rest). Recording a run lives in :mod:`sms_contract.run.recording`, since it
drives the runner."""
