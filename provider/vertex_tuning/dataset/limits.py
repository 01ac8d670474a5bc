"""The service's dataset limits, per model, as one value callers pass to the validator.

Source: Google's "About supervised fine-tuning for Gemini models" (docs.cloud.google.com/
gemini-enterprise-agent-platform/models/tuning/supervised-tuning, last updated 2026-09-25),
Limitations table, identical for Gemini 3.5 Flash, 3.1 Flash-Lite, 2.5 Pro, 2.5 Flash and 2.5
Flash-Lite: "Maximum input and output training tokens: 131,072", "Maximum validation dataset
size: 5000 examples", "Maximum training dataset file size: 1GB for JSONL", "Maximum training
dataset size: 10M text-only examples or 300K multimodal examples". The preference-tuning page
(.../tuning/preference-tuning) gives the same numbers for its text-only data. Earlier revisions
said 1M text-only examples. The seed guide's "maximum 10,000 examples" is not the service's rule
for any of these models, so nothing here enforces it.

The provider's model catalog (catalog.py) gives each model its Limits; DEFAULT_LIMITS are the
documented values they all share today. Token counts here are estimates (characters / CHARS_PER_TOKEN): real counting is
the countTokens API's job.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "CHARS_PER_TOKEN",
    "DEFAULT_LIMITS",
    "MAX_MULTIMODAL_TRAINING_EXAMPLES",
    "MAX_TOKENS_PER_EXAMPLE",
    "MAX_TRAINING_EXAMPLES",
    "MAX_VALIDATION_EXAMPLES",
    "MIN_RECOMMENDED_EXAMPLES",
    "Limits",
]

# Google: "For best results, we recommend that you start with 100 examples" (prepare page) and
# the seed guide's "Minimum 100 examples recommended". Below it is a warning, not an error.
MIN_RECOMMENDED_EXAMPLES = 100
# "For Gemini models, a token is equivalent to about 4 characters" (Google's token-counting
# docs). Estimated tokens are ceil(text characters / 4), counting text parts (systemInstruction
# included); media and function-call parts are not counted.
CHARS_PER_TOKEN = 4
# A UTF-8 character takes at most 4 bytes, and JSON escaping (\uXXXX, \", \\) at most doubles
# what a string's characters take on average once structure is counted.
_UTF8_BYTES_PER_CHAR = 4
_JSON_OVERHEAD = 2
_GIB = 1 << 30


@dataclass(frozen=True, slots=True)
class Limits:
    """What the service accepts for one model's tuning data; each check names its field."""

    #: "Maximum input and output training tokens" of one example (estimated here).
    tokens_per_example: int = 131_072
    #: "Maximum training dataset size", text-only examples.
    training_examples: int = 10_000_000
    #: The same, when any example carries media (fileData / inlineData).
    multimodal_training_examples: int = 300_000
    #: "Maximum validation dataset size".
    validation_examples: int = 5_000
    #: "Maximum training dataset file size: 1GB" (Google Cloud's GB is 2**30 bytes).
    file_bytes: int = _GIB

    @property
    def line_bytes(self) -> int:
        """The longest line read: the most bytes an example within the token limit can take.

        tokens x CHARS_PER_TOKEN characters x 4 bytes per UTF-8 character x 2 for JSON escaping
        and structure: 131,072 tokens give 4 MiB. A longer line cannot be an example the
        service trains on whole, so it is reported without being parsed (or held in memory).
        Media belongs in Cloud Storage (fileData) rather than inline at that size.
        """
        return self.tokens_per_example * CHARS_PER_TOKEN * _UTF8_BYTES_PER_CHAR * _JSON_OVERHEAD


#: The documented limits of today's tunable Gemini models (see the module docstring).
DEFAULT_LIMITS = Limits()

# The default model's figures under their historic names (callers and tests use them).
MAX_TOKENS_PER_EXAMPLE = DEFAULT_LIMITS.tokens_per_example
MAX_TRAINING_EXAMPLES = DEFAULT_LIMITS.training_examples
MAX_MULTIMODAL_TRAINING_EXAMPLES = DEFAULT_LIMITS.multimodal_training_examples
MAX_VALIDATION_EXAMPLES = DEFAULT_LIMITS.validation_examples
