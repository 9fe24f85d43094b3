"""RQ jobs of accounts: take ids, re-fetch, call a service."""
