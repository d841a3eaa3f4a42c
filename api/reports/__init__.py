"""The monthly report (月度考评)."""
