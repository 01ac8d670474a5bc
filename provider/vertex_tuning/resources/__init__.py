"""The package's Pulumi resources, one module each: its inputs, outputs and lifecycle.

base.py holds what they share (typed inputs with replace markers, check, diff, update).
"""
