/* libpq and MariaDB Connector/C, loaded on first use with dlopen (RTLD_NOW: every symbol is
 * checked at load time, so a library that lacks one fails with a message, never later).
 * Each wrapper calls the library function of the same name. Single-threaded use (the CLI). */
#include <dlfcn.h>
#include <stdio.h>
#include <postgresql/libpq-fe.h>
#include <mariadb/mysql.h>

#define FN(ret, name, params, args) \
    static ret (*p_##name) params; \
    ret sctl_##name params { return p_##name args; }
#define VFN(name, params, args) \
    static void (*p_##name) params; \
    void sctl_##name params { p_##name args; }
#define LOAD(handle, lib, name) \
    if (!(*(void **)&p_##name = dlsym(handle, #name))) { snprintf(error, size, "%s has no %s", lib, #name); return -1; }

/* MARK: libpq */

FN(PGconn *, PQconnectStartParams, (const char *const *k, const char *const *v, int e), (k, v, e))
FN(PostgresPollingStatusType, PQconnectPoll, (PGconn *c), (c))
FN(ConnStatusType, PQstatus, (const PGconn *c), (c))
FN(int, PQsocket, (const PGconn *c), (c))
FN(int, PQsetnonblocking, (PGconn *c, int a), (c, a))
VFN(PQfinish, (PGconn *c), (c))
FN(char *, PQerrorMessage, (const PGconn *c), (c))
FN(int, PQsendQueryParams, (PGconn *c, const char *q, int n, const Oid *t, const char *const *v, const int *l, const int *f, int r),
   (c, q, n, t, v, l, f, r))
FN(int, PQflush, (PGconn *c), (c))
FN(int, PQconsumeInput, (PGconn *c), (c))
FN(int, PQisBusy, (PGconn *c), (c))
FN(PGresult *, PQgetResult, (PGconn *c), (c))
FN(ExecStatusType, PQresultStatus, (const PGresult *r), (r))
FN(int, PQntuples, (const PGresult *r), (r))
FN(int, PQnfields, (const PGresult *r), (r))
FN(char *, PQfname, (const PGresult *r, int f), (r, f))
FN(int, PQgetisnull, (const PGresult *r, int t, int f), (r, t, f))
FN(int, PQgetlength, (const PGresult *r, int t, int f), (r, t, f))
FN(char *, PQgetvalue, (const PGresult *r, int t, int f), (r, t, f))
FN(char *, PQcmdTuples, (PGresult *r), (r))
FN(char *, PQresultErrorField, (const PGresult *r, int f), (r, f))
FN(char *, PQresultErrorMessage, (const PGresult *r), (r))
VFN(PQclear, (PGresult *r), (r))
FN(PGcancel *, PQgetCancel, (PGconn *c), (c))
FN(int, PQcancel, (PGcancel *c, char *b, int n), (c, b, n))
VFN(PQfreeCancel, (PGcancel *c), (c))

static void *libpq;

int sctl_load_libpq(char *error, int size) {
    if (libpq) return 0;
    void *h = dlopen("libpq.so.5", RTLD_NOW | RTLD_LOCAL);
    if (!h) { snprintf(error, size, "%s", dlerror()); return -1; }
    const char *lib = "libpq.so.5";
    LOAD(h, lib, PQconnectStartParams) LOAD(h, lib, PQconnectPoll) LOAD(h, lib, PQstatus) LOAD(h, lib, PQsocket)
    LOAD(h, lib, PQsetnonblocking) LOAD(h, lib, PQfinish) LOAD(h, lib, PQerrorMessage) LOAD(h, lib, PQsendQueryParams)
    LOAD(h, lib, PQflush) LOAD(h, lib, PQconsumeInput) LOAD(h, lib, PQisBusy) LOAD(h, lib, PQgetResult)
    LOAD(h, lib, PQresultStatus) LOAD(h, lib, PQntuples) LOAD(h, lib, PQnfields) LOAD(h, lib, PQfname)
    LOAD(h, lib, PQgetisnull) LOAD(h, lib, PQgetlength) LOAD(h, lib, PQgetvalue) LOAD(h, lib, PQcmdTuples)
    LOAD(h, lib, PQresultErrorField) LOAD(h, lib, PQresultErrorMessage) LOAD(h, lib, PQclear) LOAD(h, lib, PQgetCancel)
    LOAD(h, lib, PQcancel) LOAD(h, lib, PQfreeCancel)
    libpq = h;
    return 0;
}

/* MARK: MariaDB Connector/C */

FN(MYSQL *, mysql_init, (MYSQL *m), (m))
FN(int, mysql_options, (MYSQL *m, enum mysql_option o, const void *a), (m, o, a))
FN(MYSQL *, mysql_real_connect, (MYSQL *m, const char *h, const char *u, const char *p, const char *d, unsigned int port,
                                 const char *s, unsigned long f), (m, h, u, p, d, port, s, f))
FN(unsigned int, mysql_errno, (MYSQL *m), (m))
FN(const char *, mysql_error, (MYSQL *m), (m))
VFN(mysql_close, (MYSQL *m), (m))
FN(MYSQL_STMT *, mysql_stmt_init, (MYSQL *m), (m))
FN(int, mysql_stmt_prepare, (MYSQL_STMT *s, const char *q, unsigned long l), (s, q, l))
FN(my_bool, mysql_stmt_bind_param, (MYSQL_STMT *s, MYSQL_BIND *b), (s, b))
FN(int, mysql_stmt_execute, (MYSQL_STMT *s), (s))
FN(MYSQL_RES *, mysql_stmt_result_metadata, (MYSQL_STMT *s), (s))
FN(unsigned int, mysql_stmt_errno, (MYSQL_STMT *s), (s))
FN(const char *, mysql_stmt_error, (MYSQL_STMT *s), (s))
FN(unsigned long long, mysql_stmt_affected_rows, (MYSQL_STMT *s), (s))
FN(my_bool, mysql_stmt_attr_set, (MYSQL_STMT *s, enum enum_stmt_attr_type t, const void *a), (s, t, a))
FN(int, mysql_stmt_store_result, (MYSQL_STMT *s), (s))
FN(my_bool, mysql_stmt_bind_result, (MYSQL_STMT *s, MYSQL_BIND *b), (s, b))
FN(int, mysql_stmt_fetch, (MYSQL_STMT *s), (s))
FN(my_bool, mysql_stmt_close, (MYSQL_STMT *s), (s))
VFN(mysql_free_result, (MYSQL_RES *r), (r))
FN(unsigned int, mysql_num_fields, (MYSQL_RES *r), (r))
FN(MYSQL_FIELD *, mysql_fetch_fields, (MYSQL_RES *r), (r))

static void *libmariadb;

int sctl_load_libmariadb(char *error, int size) {
    if (libmariadb) return 0;
    void *h = dlopen("libmariadb.so.3", RTLD_NOW | RTLD_LOCAL);
    if (!h) { snprintf(error, size, "%s", dlerror()); return -1; }
    const char *lib = "libmariadb.so.3";
    LOAD(h, lib, mysql_init) LOAD(h, lib, mysql_options) LOAD(h, lib, mysql_real_connect) LOAD(h, lib, mysql_errno)
    LOAD(h, lib, mysql_error) LOAD(h, lib, mysql_close) LOAD(h, lib, mysql_stmt_init) LOAD(h, lib, mysql_stmt_prepare)
    LOAD(h, lib, mysql_stmt_bind_param) LOAD(h, lib, mysql_stmt_execute) LOAD(h, lib, mysql_stmt_result_metadata)
    LOAD(h, lib, mysql_stmt_errno) LOAD(h, lib, mysql_stmt_error) LOAD(h, lib, mysql_stmt_affected_rows)
    LOAD(h, lib, mysql_stmt_attr_set) LOAD(h, lib, mysql_stmt_store_result) LOAD(h, lib, mysql_stmt_bind_result)
    LOAD(h, lib, mysql_stmt_fetch) LOAD(h, lib, mysql_stmt_close) LOAD(h, lib, mysql_free_result)
    LOAD(h, lib, mysql_num_fields) LOAD(h, lib, mysql_fetch_fields)
    libmariadb = h;
    return 0;
}
