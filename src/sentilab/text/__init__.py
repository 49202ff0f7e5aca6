"""Text pipeline: normalizers, tokenizers, vocabularies and paragraph splitting."""

from sentilab.text.normalize import Normalizer, normalize
from sentilab.text.tokenize import get_tokenizer, list_tokenizers
from sentilab.text.vocab import Vocabulary

__all__ = ["Normalizer", "normalize", "get_tokenizer", "list_tokenizers", "Vocabulary"]
