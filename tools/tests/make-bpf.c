/* Issue 14, confinement: write a raw seccomp BPF program to stdout, as setpriv
 * --seccomp-filter and subproc --seccomp-filter read it (an array of struct sock_filter, in
 * this machine's byte order), for the CLI tests.
 *
 *   make-bpf deny-uname ERRNO   uname() fails with ERRNO, everything else is allowed
 *   make-bpf invalid            a program with no return, which the kernel refuses
 *
 * No architecture check: the tests run native binaries only.  No <linux/filter.h>: the musl
 * toolchain has none, and these numbers are Linux's ABI.
 *
 * SPDX-License-Identifier: MIT
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/syscall.h>
#endif

#ifndef SYS_uname
#define SYS_uname 0 /* not Linux, where no filter is ever installed */
#endif

struct insn {
        uint16_t code;
        uint8_t jt, jf;
        uint32_t k;
};

enum {
        LD_W_ABS = 0x20, /* BPF_LD | BPF_W | BPF_ABS */
        JEQ_K = 0x15,    /* BPF_JMP | BPF_JEQ | BPF_K */
        RET_K = 0x06,    /* BPF_RET | BPF_K */
        NR_OFFSET = 0,   /* offsetof(struct seccomp_data, nr) */
        RET_ERRNO = 0x00050000,
        RET_ALLOW = 0x7fff0000,
};

int main(int argc, char **argv)
{
        struct insn prog[4] = {
                { LD_W_ABS, 0, 0, NR_OFFSET },
                { JEQ_K, 0, 1, SYS_uname },
                { RET_K, 0, 0, RET_ERRNO },
                { RET_K, 0, 0, RET_ALLOW },
        };
        size_t n = 4;

        if (argc == 3 && strcmp(argv[1], "deny-uname") == 0)
                prog[2].k |= (uint32_t)atoi(argv[2]) & 0xffff;
        else if (argc == 2 && strcmp(argv[1], "invalid") == 0)
                n = 1;
        else
                return 2;
        return write(STDOUT_FILENO, prog, n * sizeof prog[0]) == (ssize_t)(n * sizeof prog[0]) ? 0
                                                                                               : 1;
}
