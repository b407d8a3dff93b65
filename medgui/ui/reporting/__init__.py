"""Reports and exports: the report dialog and workbench, the export dialog."""
