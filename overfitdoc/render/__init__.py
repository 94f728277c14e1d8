"""Renderers: each takes the report (and the Diagnosis it came from) and only renders."""
