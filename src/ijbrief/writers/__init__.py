"""Output writers, one module per format: html, pdf (WeasyPrint), docx (python-docx)."""
