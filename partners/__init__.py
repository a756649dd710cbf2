"""Partners: the organisations that pose challenges and lend data, expertise and experimentation sites."""
