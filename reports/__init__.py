"""Situation reports and data exports (PDF, HTML, DOCX, GeoPackage, CSV, CAP)."""
