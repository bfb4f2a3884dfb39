"""Site-visit hosts: members of a visit's host business whom an organiser marks as hosts see
their visits in /host, and approve or decline the people who apply to visit."""
