"""Domain layer: pure business types and rules, free of I/O and framework code."""
