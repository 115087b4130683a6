"""Benchmarks: scripts that print figures (as ratios against a plain baseline measured in the same run)."""
