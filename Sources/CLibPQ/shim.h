#ifndef SESSIONCTL_CLIBPQ_SHIM_H
#define SESSIONCTL_CLIBPQ_SHIM_H
/* PostgreSQL's C client (libpq-dev), for sessions in a SQL table: its types and constants.
 * The library itself is loaded when a postgres:// URL is first used (CSQLLoader), so that a
 * Redis invocation does not load libpq and its Kerberos, LDAP and GnuTLS dependencies. The
 * functions are called through these sctl_ wrappers, each the libpq function of the same name. */
#include <postgresql/libpq-fe.h>

/* Loads libpq.so.5 once; 0 on success, else -1 with the reason in `error`. */
int sctl_load_libpq(char *error, int size);

PGconn *sctl_PQconnectStartParams(const char *const *keywords, const char *const *values, int expand_dbname);
PostgresPollingStatusType sctl_PQconnectPoll(PGconn *conn);
ConnStatusType sctl_PQstatus(const PGconn *conn);
int sctl_PQsocket(const PGconn *conn);
int sctl_PQsetnonblocking(PGconn *conn, int arg);
void sctl_PQfinish(PGconn *conn);
char *sctl_PQerrorMessage(const PGconn *conn);
int sctl_PQsendQueryParams(PGconn *conn, const char *command, int nParams, const Oid *paramTypes,
                           const char *const *paramValues, const int *paramLengths, const int *paramFormats, int resultFormat);
int sctl_PQflush(PGconn *conn);
int sctl_PQconsumeInput(PGconn *conn);
int sctl_PQisBusy(PGconn *conn);
PGresult *sctl_PQgetResult(PGconn *conn);
ExecStatusType sctl_PQresultStatus(const PGresult *res);
int sctl_PQntuples(const PGresult *res);
int sctl_PQnfields(const PGresult *res);
char *sctl_PQfname(const PGresult *res, int field_num);
int sctl_PQgetisnull(const PGresult *res, int tup_num, int field_num);
int sctl_PQgetlength(const PGresult *res, int tup_num, int field_num);
char *sctl_PQgetvalue(const PGresult *res, int tup_num, int field_num);
char *sctl_PQcmdTuples(PGresult *res);
char *sctl_PQresultErrorField(const PGresult *res, int fieldcode);
char *sctl_PQresultErrorMessage(const PGresult *res);
void sctl_PQclear(PGresult *res);
PGcancel *sctl_PQgetCancel(PGconn *conn);
int sctl_PQcancel(PGcancel *cancel, char *errbuf, int errbufsize);
void sctl_PQfreeCancel(PGcancel *cancel);
#endif
