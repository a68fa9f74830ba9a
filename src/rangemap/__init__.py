"""rangemap: from species documents to mapped habitat."""

__version__ = "0.1.0"
