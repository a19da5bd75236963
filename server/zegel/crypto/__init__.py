"""Key ring and cryptographic building blocks; no Flask imports here."""
