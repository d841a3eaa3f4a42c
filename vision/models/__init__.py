"""Model cards shipped with the code (JSON, one per model; see ``vision.detect.card``).

A package only so the cards are installed with it; the ONNX weights are not here.
"""
