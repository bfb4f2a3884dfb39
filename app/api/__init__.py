"""The organiser API (`/api/v1/…`): Bearer tokens organisers create and revoke, read and
write endpoints that call the same services as the web forms, and its OpenAPI document."""
