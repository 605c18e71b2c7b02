"""Reports from the record: the exam committee's annual report and the inspectorate's sample."""
