"""The device cloud's MQTT data path: topics and ACL rules, the two broker modes, ingestion, simulator.

A plain package (no models): storage lives in the ``telemetry`` app, device facts in ``devices``.
"""
