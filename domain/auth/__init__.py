"""Authentication policy that needs no server: password hashing, code generation."""
