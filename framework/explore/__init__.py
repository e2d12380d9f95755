"""Exploring optimizers: their paths on objective functions, and the learning-rate range test."""
