"""RQ jobs of posts: take ids, re-fetch, call a service."""
