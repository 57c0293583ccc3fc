"""Photo evidence of a visit: upload, derivatives in the background, access to them."""
