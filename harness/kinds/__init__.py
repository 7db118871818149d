"""Task kinds: the code behind task cards. One module per kind; each owns its data schema, heads and metrics.

Kind modules import torch and transformers inside functions only, so listing and validating cards stays light.
"""
