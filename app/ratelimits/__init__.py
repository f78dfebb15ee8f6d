"""Rate limits per API key (contract section 8), held across workers and hosts."""
