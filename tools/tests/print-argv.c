/* Test helper for the CLI tests: print every argument after argv[0], each followed by a NUL,
 * so that a test can compare argument vectors byte for byte (spaces, quotes, newlines). */
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv)
{
        for (int i = 1; i < argc; i++)
                fwrite(argv[i], 1, strlen(argv[i]) + 1, stdout);
        return fflush(stdout) == 0 ? 0 : 1;
}
