"""One router per resource (docs/api.md); api.py mounts them."""
