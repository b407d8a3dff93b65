"""The case task: an MLP that classifies the rows of a case table."""
