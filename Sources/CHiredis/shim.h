#ifndef SESSIONCTL_CHIREDIS_SHIM_H
#define SESSIONCTL_CHIREDIS_SHIM_H

/* hiredis 0.14.1 as Debian 12 ships it (libhiredis-dev): the RESP reader,
 * the command formatter and plain TCP / unix-socket connects. */
#include <hiredis/hiredis.h>
#include <hiredis/read.h>

#endif
