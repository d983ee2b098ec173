/* The program that fuzz-quote's command lines run: it reports exactly what it was given, so
 * the fuzzer can compare it with the command it built.  Output, each item NUL-terminated:
 * argc in decimal, the argc words of argv, then every entry of environ.  Binary-safe (a word
 * may hold a newline), written in one go: the caller reads it once the shell is done. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

extern char **environ;

static char *out;
static size_t out_len, out_cap;

static void put(const char *s, size_t n)
{
        if (out_len + n + 1 > out_cap) {
                size_t cap = out_cap ? out_cap : 4096;

                while (cap < out_len + n + 1)
                        cap *= 2;
                out = realloc(out, cap);
                if (!out)
                        exit(3);
                out_cap = cap;
        }
        memcpy(out + out_len, s, n);
        out_len += n;
        out[out_len++] = '\0';
}

int main(int argc, char **argv)
{
        char count[16];
        size_t off = 0;

        snprintf(count, sizeof count, "%d", argc);
        put(count, strlen(count));
        for (int i = 0; i < argc; i++)
                put(argv[i], strlen(argv[i]));
        for (char **e = environ; *e; e++)
                put(*e, strlen(*e));
        while (off < out_len) {
                ssize_t n = write(STDOUT_FILENO, out + off, out_len - off);

                if (n < 0)
                        return 4;
                off += (size_t)n;
        }
        return 0;
}
