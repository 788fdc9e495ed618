"""API v1: flask-smorest blueprints, one module per resource."""

# Where v1 is mounted; exports also need it to write links to claims, articles and annotations.
API_PREFIX = "/api/v1"
