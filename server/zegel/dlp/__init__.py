"""DLP while composing: detectors, word lists, the organisation's rules, and text from attachments."""
