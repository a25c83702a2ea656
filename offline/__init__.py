"""The offline engine: preview any Pulumi Python program and run a CrossGuard policy pack on it
without the Pulumi CLI, provider plugins or a cloud account. See ``python -m offline --help``."""
