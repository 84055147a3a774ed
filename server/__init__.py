"""Neural Playground: TensorFlow Playground's training, live on a server."""

__version__ = "0.1.0"
