"""CountTokens, and the one tokenizer the emulator counts and bills with.

Gemini tokenizes with SentencePiece (Gemma 3's 262,144-piece vocabulary for the 2.x models,
per google-genai's local tokenizer); that vocabulary cannot be fetched here, so this is a
deterministic imitation of its shape, written down so that counts can be checked by hand:

- a run of letters, with the one space before it, is one token per started 10 letters (a large
  vocabulary holds most whole words, " international" included);
- every digit is a token of its own (Gemma's vocabulary splits numbers into digits);
- each CJK ideograph, kana or hangul syllable is a token;
- every other non-space character (punctuation, symbols, emoji) is a token;
- whitespace not attached to a word is a token per newline in it, at least one;
- an image, audio, video or document part is MEDIA_TOKENS; a function call or response is the
  tokens of its JSON.

English prose comes out near Google's "a token is about 4 characters". What matters more is
that the same function decides both what CountTokens answers and what a job's
`totalBillableTokenCount` says (datasets.py), so a client's estimate can be checked against
the emulator's own bill: parts of one Content are joined before they are tokenized, as the
datasets are read.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any

Json = dict[str, Any]

#: Tokens of one image, audio, video or document part (Gemini's figure for an image).
MEDIA_TOKENS = 258
#: Letters one token holds before a word takes another.
LETTERS_PER_TOKEN = 10

_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff"
_PIECE = re.compile(rf"[{_CJK}]| ?[^\W\d_{_CJK}]+| ?\d|\s+|.", re.DOTALL)
_LONG_WORD = re.compile(rf"[^\W\d_{_CJK}]{{{LETTERS_PER_TOKEN + 1},}}")
_NEWLINES = re.compile(r"\s*\n\s*\n\s*")
_MODALITIES = (("image/", "IMAGE"), ("video/", "VIDEO"), ("audio/", "AUDIO"))


def count(text: str) -> int:
    """The tokens of `text` (see the module docstring for the rules).

    One token per piece, plus one per further 10 letters of a long word and one per further
    newline of a whitespace run: three scans in C, no Python loop over the pieces.
    """
    words: list[str] = _LONG_WORD.findall(text)
    runs: list[str] = _NEWLINES.findall(text)
    total: int = len(_PIECE.findall(text))
    total += sum((len(word) - 1) // LETTERS_PER_TOKEN for word in words)
    return total + sum(run.count("\n") - 1 for run in runs)


def content_tokens(content: Json) -> int:
    """The tokens of one Content: its text parts joined, media and function parts added."""
    return sum(_by_modality(content).values())


def count_tokens(request: Json) -> Json:
    """A CountTokensResponse for a CountTokensRequest (API JSON, either version)."""
    contents: list[Json] = list(request.get("contents") or [])
    if request.get("systemInstruction"):
        contents.append(request["systemInstruction"])
    by_modality: dict[str, int] = {}
    for content in contents:
        for modality, tokens in _by_modality(content).items():
            by_modality[modality] = by_modality.get(modality, 0) + tokens
    tools = request.get("tools") or []
    if tools:
        by_modality["TEXT"] = by_modality.get("TEXT", 0) + count(_json(tools))
    characters = sum(len(_text(c)) - _spaces(_text(c)) for c in contents)
    return {
        "totalTokens": sum(by_modality.values()),
        "totalBillableCharacters": characters,
        "promptTokensDetails": [
            {"modality": modality, "tokenCount": tokens}
            for modality, tokens in sorted(by_modality.items())
            if tokens
        ],
    }


def _by_modality(content: Json) -> dict[str, int]:
    parts: Iterable[Json] = content.get("parts") or []
    found = {"TEXT": count(_text(content))}
    for part in parts:
        media = part.get("inlineData") or part.get("fileData")
        if media is not None:
            modality = _modality(str(media.get("mimeType", "")))
            found[modality] = found.get(modality, 0) + MEDIA_TOKENS
        for key in ("functionCall", "functionResponse"):
            if key in part:
                found["TEXT"] += count(_json(part[key]))
    return found


def _text(content: Json) -> str:
    return "".join(str(part.get("text", "")) for part in content.get("parts") or [])


def _modality(mime_type: str) -> str:
    for prefix, modality in _MODALITIES:
        if mime_type.startswith(prefix):
            return modality
    return "DOCUMENT"


def _json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _spaces(text: str) -> int:
    return sum(1 for c in text if c.isspace())
