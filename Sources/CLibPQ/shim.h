#ifndef SESSIONCTL_CLIBPQ_SHIM_H
#define SESSIONCTL_CLIBPQ_SHIM_H
/* PostgreSQL's C client (libpq-dev), for sessions in a SQL table. */
#include <libpq-fe.h>
#endif
