"""The Hwb team's workplace for service-desk requests."""
