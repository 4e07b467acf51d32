#ifndef SESSIONCTL_CMARIADB_SHIM_H
#define SESSIONCTL_CMARIADB_SHIM_H
/* MariaDB Connector/C (libmariadb-dev), for sessions in a MySQL or MariaDB table. */
#include <mysql.h>
#include <errmsg.h>
#endif
