"""The duty model (网上勤务): weekly rosters, leave, "on shift", roll calls, duty figures.

"On shift" is what the roster says (a shift covers the instant and no leave does); "on
duty" is what the officer's phone says (在岗). Auto-dispatch wants both.
"""
