"""Complaints: what citizens file, with evidence, history, messages and ratings."""
