"""Frame decoding, ONNX detectors, tracking and zone rules (pure compute; issue 5)."""
