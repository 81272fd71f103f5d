"""From files to passages: loaders read a file into structured blocks, the splitter cuts passages."""

from sourcier.ingest._language import detect_language
from sourcier.ingest._load import SUPPORTED_SUFFIXES, is_supported, load_file
from sourcier.ingest._size import check_file_size
from sourcier.ingest._split import SplitOutput, Splitter, document_text

__all__ = [
    "SUPPORTED_SUFFIXES",
    "SplitOutput",
    "Splitter",
    "check_file_size",
    "detect_language",
    "document_text",
    "is_supported",
    "load_file",
]
