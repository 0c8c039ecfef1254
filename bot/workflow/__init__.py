"""The alignment workflow: run model, steps and the runner."""
