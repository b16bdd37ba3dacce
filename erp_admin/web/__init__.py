"""HTTP plumbing every face shares: JSON responses, body limits, proxies, request ids and the access log."""
