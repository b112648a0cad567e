# Type hints of senti.dask.
import os
from typing import Any, Hashable, Optional, Union

def score(ddf: Any, column: Hashable, model: Union[str, "os.PathLike[str]"] = ..., *, prefix: str = ...,
          expand: bool = ..., threads: int = ..., max_text_bytes: int = ..., max_tokens: int = ...,
          lexicon_dir: Optional[Union[str, "os.PathLike[str]"]] = ...) -> Any: ...
def models_opened() -> int: ...
