"""Object detection on camera frames with ONNX models described by model cards (issue 5).

``Detector.load(model_path, load_card(card_path))`` then ``detector.detect(jpeg_bytes)``.
"""

from vision.detect.card import ModelCard, load_card
from vision.detect.postprocess import Detection
from vision.detect.session import Detector, StageTimings

__all__ = ["Detection", "Detector", "ModelCard", "StageTimings", "load_card"]
