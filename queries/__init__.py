"""Named SQL queries, one question per file; see xstore/named.py for the header format."""
