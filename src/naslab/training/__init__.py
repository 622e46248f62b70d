"""Real training: PyTorch network builders, data sets, the trainer and the training objective."""
