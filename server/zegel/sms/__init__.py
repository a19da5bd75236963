"""SMS gateways behind one small protocol: the dev outbox and CM.com."""
