#ifndef SESSIONCTL_CSQLLOADER_H
#define SESSIONCTL_CSQLLOADER_H
/* The sctl_ wrappers that CLibPQ/shim.h and CMariaDB/shim.h declare: libpq and MariaDB
 * Connector/C loaded with dlopen when a SQL URL is first used, not at every start. */
#endif
