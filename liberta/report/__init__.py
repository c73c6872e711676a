"""The HTML report and the key-figure table, read from the warehouse views."""
