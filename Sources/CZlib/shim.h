#ifndef SESSIONCTL_CZLIB_SHIM_H
#define SESSIONCTL_CZLIB_SHIM_H
/* zlib (zlib1g-dev): Django's signed session data is zlib-compressed when that is shorter. */
#include <zlib.h>

/* inflateInit is a macro (it passes the version and the stream's size). */
static inline int sessionctl_inflate_init(z_stream *s) {
    return inflateInit(s);
}
#endif
