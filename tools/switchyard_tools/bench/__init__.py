"""Benchmark commands (``switchyard bench …``): each takes data files by path."""
