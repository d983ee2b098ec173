/* The helper protocol: output patterns, checksum and escaping, shared by tests/helper.c,
 * which reports what it sees of itself, and by the tests that check that report.  Header-only
 * (static inline functions and macros): helper.c includes it without linking the support
 * library.
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef T_SUPPORT_PROTOCOL_H
#define T_SUPPORT_PROTOCOL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* What --write-nul writes to stdout (the trailing NUL of the literal is not written). */
#define HELPER_NUL_OUTPUT "nul\0in\0the\0middle\0end"
#define HELPER_NUL_OUTPUT_LEN (sizeof(HELPER_NUL_OUTPUT) - 1)

/* Seeds of the byte patterns written by --stdout-bytes and --stderr-bytes. */
#define HELPER_STDOUT_SEED 'a'
#define HELPER_STDERR_SEED 'A'

/* Byte i of a pattern.  The period (23) is prime, so a chunk that is lost, repeated or
 * reordered at a power-of-two boundary changes the content. */
static inline char helper_pattern_byte(char seed, size_t i)
{
        return (char)(seed + (char)(i % 23));
}

#define HELPER_CHECKSUM_INIT UINT64_C(0xcbf29ce484222325)

/* FNV-1a over `len` bytes, continuing from `hash` (start with HELPER_CHECKSUM_INIT). */
static inline uint64_t helper_checksum(uint64_t hash, const void *data, size_t len)
{
        const unsigned char *bytes = data;

        for (size_t i = 0; i < len; i++) {
                hash ^= bytes[i];
                hash *= UINT64_C(0x100000001b3);
        }
        return hash;
}

/* Report values are escaped so that each key=value stays on one line: backslash becomes
 * "\\", newline "\n", and any other control byte "\xHH".  Bytes >= 0x80 pass unchanged.
 * Writes the escaped form of `len` bytes to `out`. */
static inline void helper_escape(FILE *out, const char *value, size_t len)
{
        for (size_t i = 0; i < len; i++) {
                unsigned char ch = (unsigned char)value[i];

                if (ch == '\\')
                        fputs("\\\\", out);
                else if (ch == '\n')
                        fputs("\\n", out);
                else if (ch < 0x20 || ch == 0x7f)
                        fprintf(out, "\\x%02x", ch);
                else
                        fputc(ch, out);
        }
}

#endif /* T_SUPPORT_PROTOCOL_H */
