"""The Outlook add-in: its manifest (rendered for this server's public URL) and, later, its pages."""
