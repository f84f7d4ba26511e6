"""armsbrief: reproducible, sourced arms-transfer briefings (import name ``analysis``)."""
from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("armsbrief")
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0.0.0+unknown"
