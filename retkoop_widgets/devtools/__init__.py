"""Developer tooling shared by the tests and the bench scripts (not used by the product)."""
