"""Partner directory: CPTS, HAD, ERC, psychologists, DAC, SSIAD, CCAS."""
