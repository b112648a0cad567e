# Type hints of senti.pandas.
from typing import Any, Hashable, Optional

from . import Model

def score(df: Any, column: Hashable, model: Optional[Model] = ..., *, prefix: str = ...,
          expand: bool = ..., threads: int = ..., copy: bool = ...) -> Any: ...
