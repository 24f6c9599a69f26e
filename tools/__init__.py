"""Project tooling: Terraform set-up, the local emulator, deployment, plan review."""
