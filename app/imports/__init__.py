"""Importing delegates from a spreadsheet (CSV): a dry run that reports every row, then one
transaction that registers them all through the normal rules, or none."""
