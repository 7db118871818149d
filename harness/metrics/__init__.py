"""Metric functions shared by the task kinds. Each module imports its metric library inside functions only."""
