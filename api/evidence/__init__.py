"""Evidence over HTTP: upload grants, completion, reading."""
