"""Service levels: durations, the working-time calendar, deadlines."""
