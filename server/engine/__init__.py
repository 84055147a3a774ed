"""Pure computation: datasets, features, network, training rules and rendering.

Imports only torch and numpy, so a notebook can use it directly::

    from server.engine import features, network, training
    from server.engine.data import datasets
"""
