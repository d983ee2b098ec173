/* The library's clock: deadlines are CLOCK_MONOTONIC milliseconds. */
#include "util.h"

#include <time.h>

long long sp_now_ms(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
