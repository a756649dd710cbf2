"""Datasets: the catalogue of data partners share (metadata now; files and governed access come later)."""
