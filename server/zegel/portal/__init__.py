"""The recipient's side: open a link, verify, read, download and reply."""
