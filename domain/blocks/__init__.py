"""美丽街区: street blocks and their monthly assessment score."""
