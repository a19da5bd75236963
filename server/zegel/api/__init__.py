"""The JSON API's shared pieces: bearer authentication and the OpenAPI document."""
