"""SimpleOS: a teaching kernel in Python that runs real x86-64 guest code on unicorn.

Layers (see docs/architecture.md): machine/ is the hardware and knows no policy;
kernel/ is all policy and never calls unicorn; isolation/ holds one model per file.
"""
__version__ = "0.1.0"
