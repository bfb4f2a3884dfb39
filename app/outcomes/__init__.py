"""Programme outcomes: support hours from check-ins, declarations, claims, funder returns."""
