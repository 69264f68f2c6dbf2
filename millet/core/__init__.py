"""Shared building blocks that belong to no single domain: domain errors and the API's error mapping."""
