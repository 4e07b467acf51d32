#ifndef SESSIONCTL_CMARIADB_SHIM_H
#define SESSIONCTL_CMARIADB_SHIM_H
/* MariaDB Connector/C (libmariadb-dev), for sessions in a MySQL or MariaDB table: its types and
 * constants. The library is loaded when a mysql:// URL is first used (CSQLLoader); the functions
 * are called through these sctl_ wrappers, each the Connector/C function of the same name. */
#include <mariadb/mysql.h>
#include <mariadb/errmsg.h>

/* Loads libmariadb.so.3 once; 0 on success, else -1 with the reason in `error`. */
int sctl_load_libmariadb(char *error, int size);

MYSQL *sctl_mysql_init(MYSQL *mysql);
int sctl_mysql_options(MYSQL *mysql, enum mysql_option option, const void *arg);
MYSQL *sctl_mysql_real_connect(MYSQL *mysql, const char *host, const char *user, const char *passwd, const char *db,
                               unsigned int port, const char *unix_socket, unsigned long clientflag);
unsigned int sctl_mysql_errno(MYSQL *mysql);
const char *sctl_mysql_error(MYSQL *mysql);
void sctl_mysql_close(MYSQL *sock);
MYSQL_STMT *sctl_mysql_stmt_init(MYSQL *mysql);
int sctl_mysql_stmt_prepare(MYSQL_STMT *stmt, const char *query, unsigned long length);
my_bool sctl_mysql_stmt_bind_param(MYSQL_STMT *stmt, MYSQL_BIND *bnd);
int sctl_mysql_stmt_execute(MYSQL_STMT *stmt);
MYSQL_RES *sctl_mysql_stmt_result_metadata(MYSQL_STMT *stmt);
unsigned int sctl_mysql_stmt_errno(MYSQL_STMT *stmt);
const char *sctl_mysql_stmt_error(MYSQL_STMT *stmt);
unsigned long long sctl_mysql_stmt_affected_rows(MYSQL_STMT *stmt);
my_bool sctl_mysql_stmt_attr_set(MYSQL_STMT *stmt, enum enum_stmt_attr_type attr_type, const void *attr);
int sctl_mysql_stmt_store_result(MYSQL_STMT *stmt);
my_bool sctl_mysql_stmt_bind_result(MYSQL_STMT *stmt, MYSQL_BIND *bnd);
int sctl_mysql_stmt_fetch(MYSQL_STMT *stmt);
my_bool sctl_mysql_stmt_close(MYSQL_STMT *stmt);
void sctl_mysql_free_result(MYSQL_RES *result);
unsigned int sctl_mysql_num_fields(MYSQL_RES *res);
MYSQL_FIELD *sctl_mysql_fetch_fields(MYSQL_RES *res);
#endif
