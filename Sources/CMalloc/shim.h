#ifndef SESSIONCTL_CMALLOC_SHIM_H
#define SESSIONCTL_CMALLOC_SHIM_H
/* glibc's allocator tuning (mallopt), for a peak RSS that follows --memory-limit. */
#include <malloc.h>

/* Large blocks from mmap, returned to the system when freed: a fixed threshold, so that glibc
   does not raise it after the first large free and keep later buffers in the heap. */
static inline void sessionctl_mmap_large_blocks(int threshold) {
    mallopt(M_MMAP_THRESHOLD, threshold);
}
#endif
