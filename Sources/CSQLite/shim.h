#ifndef SESSIONCTL_CSQLITE_SHIM_H
#define SESSIONCTL_CSQLITE_SHIM_H
/* SQLite (libsqlite3-dev), for sessions in a SQLite file. */
#include <sqlite3.h>

/* SQLITE_TRANSIENT is a function-pointer cast macro Swift cannot import. */
static inline int sessionctl_sqlite3_bind_blob_copy(sqlite3_stmt *s, int i, const void *p, int n) {
    return sqlite3_bind_blob(s, i, p, n, SQLITE_TRANSIENT);
}
static inline int sessionctl_sqlite3_bind_text_copy(sqlite3_stmt *s, int i, const char *p, int n) {
    return sqlite3_bind_text(s, i, p, n, SQLITE_TRANSIENT);
}
#endif
