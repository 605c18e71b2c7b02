"""Reports from the record: the exam committee's annual report, the inspectorate's sample, and
the printable forms (PDF) of reports and dossiers."""
