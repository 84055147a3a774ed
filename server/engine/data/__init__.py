"""2-D point datasets: TFP's generators, the registry, the train/test split."""
