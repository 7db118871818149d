"""The training loop (Accelerate) and the device / precision choices it runs under."""
