"""The command console's map (一体化指挥一张图): GeoJSON layers and live positions."""
