"""Archive locations (室/柜/盒/袋), documents, checklists, payment rolls."""
