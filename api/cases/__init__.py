"""Cases over HTTP: report, board, detail, timeline and the closed loop's commands."""
