"""xstore: a declarative experiment database for how intermediate-task training changes the calibration
of multilingual models. Light on import: torch and transformers load only when a cell is computed."""

from xstore.api import Database, open  # noqa: A004

__version__ = "0.1.0"
__all__ = ["Database", "open", "__version__"]
