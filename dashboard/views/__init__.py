"""The dashboard's views (pages)."""
