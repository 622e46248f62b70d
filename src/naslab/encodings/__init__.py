"""Architecture encodings: operation distribution (ANASOD), adjacency one-hot, path."""

from naslab.encodings.base import Encoding
from naslab.encodings.opdist import OpDistEncoding

__all__ = ["Encoding", "OpDistEncoding"]
