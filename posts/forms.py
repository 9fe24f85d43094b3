"""HTML forms of posts."""
