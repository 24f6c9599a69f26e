"""The local AWS emulator: moto in server mode with documented fidelity patches."""
