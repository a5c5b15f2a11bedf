"""Switchyard's scheduled rescore Lambda: feedback → confidence matrix."""
