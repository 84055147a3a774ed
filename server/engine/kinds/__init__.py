"""Model kinds behind one protocol; the TFP MLP is the first."""
