/* The layout of a classic BPF program, as <linux/filter.h> has it, for the library
 * (confine.h) and the tool (tools/confine.c).  Where that header exists it is used; elsewhere
 * (musl's toolchain, FreeBSD, macOS: no kernel headers) the layout is spelled out here, as
 * it is part of Linux's ABI.  The public header only declares struct sock_fprog. */
#ifndef SUBPROC_SOCK_FILTER_H
#define SUBPROC_SOCK_FILTER_H

#include <stdint.h>

#if defined(__has_include)
#if __has_include(<linux/filter.h>)
#include <linux/filter.h>
#define SP_HAVE_LINUX_FILTER_H 1
#endif
#endif

#ifndef SP_HAVE_LINUX_FILTER_H
struct sock_filter {
        uint16_t code;
        uint8_t jt;
        uint8_t jf;
        uint32_t k;
};
struct sock_fprog {
        unsigned short len;
        struct sock_filter *filter;
};
#define BPF_MAXINSNS 4096
#endif

#endif
