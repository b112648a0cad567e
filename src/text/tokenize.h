/*
 * tokenize.h - bytes to normalized, hashed tokens (the front end of the linear model).
 *
 * SPECIFICATION (an independent implementation following this text gets the same tokens
 * and hashes; tests/unit/test_text.c holds the test vectors).
 *
 * 1. Decoding. The input is bytes. Well-formed UTF-8 sequences (shortest form, no
 *    surrogates, at most U+10FFFF) decode to their code point; every other byte decodes
 *    to U+FFFD on its own and decoding resumes at the next byte.
 *
 * 2. Normalization, per code point. ASCII A-Z become a-z. U+2018, U+2019 and U+02BC
 *    become the apostrophe U+0027 (the grave accent U+0060 stays punctuation). Other
 *    non-ASCII code points are replaced by
 *    utf8proc_decompose_char(cp, CASEFOLD|DECOMPOSE|COMPAT|STRIPMARK): full case folding,
 *    compatibility decomposition (NFKD) and removal of combining marks, so "Ｃａｆé" reads
 *    "cafe" and "ﬁne" reads "fine". (A decomposition longer than 32 code points reads U+FFFD.)
 *
 * 3. Classes of the normalized code points:
 *      word   ASCII a-z 0-9, and Unicode categories L* and N*
 *      apos   U+0027
 *      space  ASCII whitespace, every other C0/C1 control (NUL included), U+0085, Z*
 *      skip   Cf (format characters: ZWJ, variation selectors, BOM ...), M* left over
 *      punct  everything else (punctuation, symbols, emoji, U+FFFD)
 *
 * 4. Tokens.
 *    - A run of word and apos code points is a word run. Its leading and trailing
 *      apostrophes are split off as punct tokens, except that a run that is exactly an
 *      apostrophe followed by one of the clitics s, re, ve, ll, d, m stays one token ("'s").
 *      What remains is split before a final clitic: "...n't" (at least one character
 *      before the n) becomes "..." + "n't", and "...'s", "...'re", "...'ve", "...'ll",
 *      "...'d", "...'m" become "..." + "'s" etc. So "didn't" reads "did n't", "it's" reads
 *      "it 's": the tokenization of the Penn Treebank and of SST.
 *    - A punct code point is a token of its own, except that a run of the same code point
 *      with nothing between is one token, spelled with min(run, 3) copies ("!!!!!" -> "!!!").
 *    - space ends tokens; skip is ignored (it neither ends nor joins a token).
 *    - A token's text is its normalized UTF-8. A word run longer than
 *      SENTI__TOKEN_MAX_BYTES bytes is one token cut to its first SENTI__TOKEN_MAX_BYTES
 *      bytes (at a character boundary), with no apostrophe or clitic splitting; a longer
 *      punct token cannot occur (at most 3 code points).
 *
 * 5. Hash of a token: XXH3_64bits_withSeed(text, length, SENTI__SEED_TOKEN) (xxHash 0.8).
 *
 * Flags: SENTI__TOK_NEGATOR marks the words not, no, never, n't, cannot, nothing, nobody,
 * none, nowhere, neither, nor, without, hardly, barely, rarely, seldom; SENTI__TOK_CLAUSE
 * marks the punct tokens made of . , ; : ! ? ( ) [ ] { } " or the dash characters.
 *
 * Cost: one pass over the bytes; no allocation; the state is a few hundred bytes.
 */
#ifndef SENTI_TOKENIZE_H
#define SENTI_TOKENIZE_H

#include <stddef.h>
#include <stdint.h>

#define SENTI__TOKEN_MAX_BYTES 64
#define SENTI__SEED_TOKEN 0x73656e7469746f6bULL /* "sentitok" */

enum { SENTI__TOK_WORD = 1, SENTI__TOK_PUNCT = 2 };
enum { SENTI__TOK_NEGATOR = 1, SENTI__TOK_CLAUSE = 2 };

typedef struct senti__token {
    uint64_t hash;
    uint32_t start, end; /* byte span in the input */
    uint8_t type;        /* SENTI__TOK_WORD or SENTI__TOK_PUNCT */
    uint8_t flags;       /* SENTI__TOK_NEGATOR, SENTI__TOK_CLAUSE */
    uint8_t len;         /* bytes of the token's text */
    char text[SENTI__TOKEN_MAX_BYTES + 5]; /* the text, NUL-terminated, if asked for */
} senti__token;

typedef struct senti__tokenizer {
    const unsigned char *s;
    size_t len, pos;
    /* pending token */
    int want_text;
    int state;           /* 0 none, 1 word run, 2 punct run */
    uint32_t start, end; /* span of the pending token */
    uint32_t punct_cp, punct_run;
    uint8_t wlen;        /* bytes in wbuf */
    uint8_t wfull;       /* the run went past the buffer */
    uint8_t wapos;       /* the run holds an apostrophe (clitic analysis needed) */
    char wbuf[SENTI__TOKEN_MAX_BYTES + 8];
    uint8_t wlinear;     /* wbuf[i] came from input byte start + i (all ASCII so far): woff unused */
    uint32_t woff[SENTI__TOKEN_MAX_BYTES + 8]; /* input offset of each byte of wbuf, if !wlinear */
    /* the normalized code points of the current input character not fed yet (a character
     * can decompose into many tokens: they are fed across calls so no call writes more
     * than cap tokens) */
    uint8_t dec_i, dec_n;
    uint32_t dec_b, dec_e; /* its input span */
    int32_t dec[32];
} senti__tokenizer;

/* Tokens of s[0..len) (len < 4 GiB: spans are 32-bit; callers bound texts first).
 * want_text: fill senti__token.text (scoring needs only hashes, spans and flags). */
void senti__tok_init(senti__tokenizer *t, const char *s, size_t len, int want_text);
/* Up to cap (>= 8) next tokens into out; 0 when the text is done. */
size_t senti__tok_next(senti__tokenizer *t, senti__token *out, size_t cap);

/* Decode one code point at s[0..len) (len >= 1): returns bytes consumed (1..4) and stores
 * the code point, U+FFFD for an invalid byte. */
int senti__utf8_decode(const unsigned char *s, size_t len, int32_t *cp);

uint64_t senti__hash_token(const char *text, size_t len);

#endif
