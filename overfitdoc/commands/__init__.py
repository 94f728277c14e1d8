"""One module per command; each defines ``register(app)``. cli.py only wires them up."""
