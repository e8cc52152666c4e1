"""The book's Sphinx extensions: theme fixes and exercise numbering."""
