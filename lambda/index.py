"""Lambda entry point of Custom::ConnectContactDefaults (placeholder until the reconcile handler lands)."""
