"""Turning a run's records into DataFrames, metrics, plots, reports, events and files."""
