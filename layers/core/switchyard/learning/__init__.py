"""The learning loop: feedback → posterior quality per (model, task type)."""
