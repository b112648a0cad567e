#!/usr/bin/env python3
"""The texts of the tokenizer parity test (tests/cli/tokenizer.sh), one a line in hexadecimal.

    corpus.py DATA_DIR > texts.hex
    corpus.py --every-code-point > texts.hex
        every code point of the planes Unicode 17 assigns (U+0000-U+323FF, U+E0000-U+E01FF)
        but the surrogates, 64 a line: alone (between spaces) and inside a word ("A" + it +
        "b"); 3,192 lines

SST-2 (dev, and a sample of train), tweets with emoji (SemEval 2017, tweet sentiment
extraction), hand-written texts (accents, Greek sigma, Turkish dotted I, CJK, Hangul, scripts,
emoji sequences, whitespace and control characters, contractions, invalid UTF-8, very long
words, a text past any position limit, empty) and random mixtures of all of these drawn with a
fixed seed. Deterministic.

Left out on purpose (documented differences of transformers.js, pinned by the unit tests):
U+0085 and U+FEFF (whitespace to JavaScript's \\s, not to Unicode's White_Space), unassigned
code points, and CJK ideographs outside the Basic Multilingual Plane.
"""
import random
import sys
import unicodedata


def column(path, every, limit):
    out = []
    with open(path, "rb") as f:
        next(f)
        for i, line in enumerate(f):
            if i % every == 0 and len(out) < limit:
                out.append(line.rstrip(b"\r\n").split(b"\t")[-1])
    return out


HAND = [
    "", " ", "   \t\n ", "!!!", "...", "a", "I", "don't", "I'M SO HAPPY", "they've y'all we'll I'd it's",
    "'s 't 're 've 'm 'll 'd", "''s '''t x's", "Hello, World!", "  leading and trailing  ",
    "two  spaces   three\tand\ttabs\nnewline\r\ncrlf", "Café naïve résumé façade coöperate Ångström",
    "ÉCOLE ÉLÉMENTAIRE Straße STRASSE Œuvre", "Tiếng Việt có dấu: Nguyễn Thị Minh Khai",
    "ΟΔΟΣ ΟΔΟΣ. ΣΟΦΟΣ Σ ΑΣ-ΒΣ ΑΣ'Β ὈΔΥΣΣΕΎΣ ς σ Σ", "İstanbul İSTANBUL ıi Iı DİYARBAKIR",
    "中文字符和标点。你好，世界！", "日本語のテキスト、カタカナとひらがな。", "한국어 텍스트입니다 안녕하세요",
    "中a文b字c", "混合mixed中文text", "Русский текст, ЁЛКИ ёлки", "العربية نص مع تشكيل: مَرْحَبًا",
    "עברית טקסט", "हिन्दी पाठ", "ภาษาไทย", "Ελληνικά με τόνους: άέήίόύώ ΐΰ",
    "e\u0301 e\u0301\u0327 e\u0327\u0301 a\u0323\u0302 o\u031b\u0303", "ﬁne ﬂour Ⅻ ² ³ ½ ㎏ ℃",
    "Ｆｕｌｌｗｉｄｔｈ　ｔｅｘｔ！", "😀😃😄 👍🏽 👨‍👩‍👧‍👦 🇫🇷🇯🇵 ❤️ ☺︎ #blessed @user",
    "emoji😀glued👍to😂words", "zero\u200bwidth\u200cjoin\u200dmarks\u2060here", "nbsp\u00a0em\u2003ideo\u3000space\u2028line\u2029para",
    "ctrl\x01chars\x7fhere\x1b[0m", "tab\there", "math ∑∫√∞ ≤≥ ±×÷ arrows ←→↑↓", "currency $5 €10 £3 ¥100 ₹50",
    "quotes “double” ‘single’ «guillemets» „low“", "dashes – — ‐ ‒ ― and ellipsis…",
    "http://example.com/path?q=1&r=2 user@mail.com #hashtag @mention",
    "numbers 123 4.56 7,890 1e10 ٣٤٥ ४५६", "snake_case camelCase kebab-case PascalCase",
    "a" * 99, "b" * 100, "c" * 101, "word " + "x" * 150 + " end", "supercalifragilisticexpialidocious" * 5,
    "é" * 101, "日本" * 30, "long " * 700, "punctuation!!!???...,,,;;;:::",
    "< s > </ s > [ CLS ] [ SEP ] not special", "$$$ %%% ^^^ &&& *** ((( ))) ___ +++",
]

INVALID = [
    b"\xff", b"\xfe\xff", b"abc\x80def", b"\xc3", b"\xc3(", b"\xe2\x82", b"\xe2\x82(", b"\xf0\x9f\x98",
    b"\xf0\x9f\x98 x", b"\xc0\xaf", b"\xe0\x80\xaf", b"\xed\xa0\x80", b"\xf4\x90\x80\x80",
    b"caf\xe9 na\xefve", b"good \xff\xfe movie", b"\x00nul\x00bytes\x00", b"mix \xf0\x9f\x98\x80 \xf0\x9f ok",
    b"\xe4\xb8\xad\xe4\xb8", b"\xce\xa3\xff\xce\xa3",
]

POOL = (
    [chr(c) for c in range(0x20, 0x7F)] * 3 + list("      ") + ["\t", "\n", "\r", "\x00", "\x01", "\x7f"]
    + [chr(c) for c in range(0xA0, 0x180)] + [chr(c) for c in range(0x300, 0x370)]
    + [chr(c) for c in range(0x391, 0x3CA)] + ["\u03a3"] * 10 + [chr(c) for c in range(0x410, 0x450)]
    + [chr(c) for c in range(0x4E00, 0x4E80)] + [chr(c) for c in range(0xAC00, 0xAC40)]
    + [chr(c) for c in range(0x3041, 0x3097)] + [chr(c) for c in range(0x0627, 0x064B)]
    + [chr(c) for c in range(0x0905, 0x0940)] + [chr(c) for c in range(0x1F600, 0x1F650)]
    + ["\u200d", "\ufe0f", "\u200b", "\u2003", "\u3000", "\u2028", "\u0130", "\ufb01", "\u2160", "\u00b2",
       "\u2019", "\u2018", "\u201c", "\u2014", "\u2026", "\uff01", "\uff21", "\uf900", "\u0660", "'s", "'t"]
)


POOL = [c for c in POOL if unicodedata.category(c[0]) != "Cn"]


def random_text(rng):
    """Characters of the pool; maybe a byte 0x80-0xff between two of them (so it is invalid
    UTF-8 on its own, not part of a new character)."""
    chars = [rng.choice(POOL) for _ in range(rng.choice([1, 2, 5, 10, 30, 80, 200]))]
    s = [c.encode("utf-8") for c in chars]
    if rng.random() < 0.3:
        s.insert(rng.randrange(len(s) + 1), bytes([rng.randrange(128, 256)]))
    return b"".join(s)


def every_code_point():
    cps = [c for c in list(range(0x32400)) + list(range(0xE0000, 0xE0200)) if not 0xD800 <= c <= 0xDFFF]
    for i in range(0, len(cps), 64):
        chunk = [chr(c) for c in cps[i:i + 64]]
        text = " ".join(chunk) + "  " + " ".join("A" + c + "b" for c in chunk)
        sys.stdout.write(text.encode("utf-8").hex() + "\n")


def main():
    if sys.argv[1] == "--every-code-point":
        return every_code_point()
    data = sys.argv[1]
    texts = column(f"{data}/sst2/dev.tsv", 1, 872)
    texts += column(f"{data}/sst2/train.tsv", 67, 1000)
    texts += column(f"{data}/semeval2017/train.tsv", 33, 1500)
    texts += column(f"{data}/tweet_sentiment_extraction/train.tsv", 100, 300)
    texts += [h.encode("utf-8") for h in HAND] + INVALID
    rng = random.Random(13)
    texts += [random_text(rng) for _ in range(1000)]
    bad = ("\u0085".encode(), "\ufeff".encode())
    for t in texts:
        if any(b in t for b in bad):
            continue
        sys.stdout.write(t.hex() + "\n")


if __name__ == "__main__":
    main()
