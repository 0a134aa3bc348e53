"""Spec tag "planner": the plan of sequences to shoot, infill proposals and the completion forecast.

``plan.py`` does the I/O; ``eta.py``, ``geometry.py``, ``infill.py`` and ``forecast.py`` are pure.
"""
