"""Data files: tables (pymlp.io.tables)."""
