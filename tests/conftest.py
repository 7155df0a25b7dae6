"""Shared test set-up: this folder is on sys.path, so every test can `from cliutil import run_cli`."""
