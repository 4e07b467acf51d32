/*
 * The floor: what sessionctl's work costs with no overhead at all, in C on hiredis.
 *
 *   floor scan HOST PORT PATTERN COUNT            SCAN MATCH loop; prints the number of matches
 *   floor scan-seq COUNT PATTERN HOST:PORT...     the same on several nodes, one after another
 *   floor scan-get HOST PORT PATTERN COUNT        SCAN, and for each reply's keys pipelined GET + PTTL;
 *                                                 prints keys, found values and keys with a TTL
 *   floor audit HOST PORT PREFIX COUNT            audit's own work: one SCAN over every key; for keys starting
 *                                                 with PREFIX pipelined GET + PTTL, then PTTL of each value
 *                                                 (the session key); prints mappings, live sessions
 *   floor index-build HOST PORT PATTERN COUNT FIELD
 *                                                 index build's work without decoding: SCAN MATCH PATTERN, per page
 *                                                 pipelined GET + PEXPIRETIME, then SET user:<user>:<session> <key>
 *                                                 PXAT <expiry> GET, where <user> is the text after "FIELD":" in the
 *                                                 value (found by a byte search, not by decoding JSON) and <session>
 *                                                 the key after its first ':': the same mapping keys sessionctl's
 *                                                 `index build` writes, so each run of either finds the same keyspace;
 *                                                 prints sessions and mappings written
 */
#define _GNU_SOURCE
#include <hiredis/hiredis.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static redisContext *connect_or_die(const char *host, int port) {
    struct timeval tv = {5, 0};
    redisContext *c = redisConnectWithTimeout(host, port, tv);
    if (!c || c->err) {
        fprintf(stderr, "floor: cannot connect to %s:%d: %s\n", host, port, c ? c->errstr : "oom");
        exit(4);
    }
    return c;
}

static long scan(redisContext *c, const char *pattern, const char *count, int fetch, long *found, long *ttls) {
    char cursor[64] = "0";
    long matches = 0;
    do {
        redisReply *r = redisCommand(c, "SCAN %s MATCH %s COUNT %s", cursor, pattern, count);
        if (!r || r->type != REDIS_REPLY_ARRAY || r->elements != 2) {
            fprintf(stderr, "floor: SCAN failed\n");
            exit(1);
        }
        snprintf(cursor, sizeof cursor, "%s", r->element[0]->str);
        redisReply *keys = r->element[1];
        matches += (long)keys->elements;
        if (fetch && keys->elements > 0) {
            for (size_t i = 0; i < keys->elements; i++) {
                redisAppendCommand(c, "GET %b", keys->element[i]->str, keys->element[i]->len);
                redisAppendCommand(c, "PTTL %b", keys->element[i]->str, keys->element[i]->len);
            }
            for (size_t i = 0; i < keys->elements; i++) {
                redisReply *v, *t;
                if (redisGetReply(c, (void **)&v) != REDIS_OK || redisGetReply(c, (void **)&t) != REDIS_OK) {
                    fprintf(stderr, "floor: pipeline failed\n");
                    exit(1);
                }
                if (v->type == REDIS_REPLY_STRING) (*found)++;
                if (t->type == REDIS_REPLY_INTEGER && t->integer >= 0) (*ttls)++;
                freeReplyObject(v);
                freeReplyObject(t);
            }
        }
        freeReplyObject(r);
    } while (strcmp(cursor, "0") != 0);
    return matches;
}

static void audit(redisContext *c, const char *prefix, const char *count) {
    char cursor[64] = "0";
    long mappings = 0, live = 0;
    size_t plen = strlen(prefix);
    do {
        redisReply *r = redisCommand(c, "SCAN %s MATCH * COUNT %s", cursor, count);
        if (!r || r->type != REDIS_REPLY_ARRAY || r->elements != 2) { fprintf(stderr, "floor: SCAN failed\n"); exit(1); }
        snprintf(cursor, sizeof cursor, "%s", r->element[0]->str);
        redisReply *keys = r->element[1];
        size_t n = 0;
        for (size_t i = 0; i < keys->elements; i++) {
            redisReply *k = keys->element[i];
            if (k->len >= plen && memcmp(k->str, prefix, plen) == 0) {
                redisAppendCommand(c, "PTTL %b", k->str, k->len);
                redisAppendCommand(c, "GET %b", k->str, k->len);
                n++;
            }
        }
        redisReply **values = calloc(n ? n : 1, sizeof *values);
        for (size_t i = 0; i < n; i++) {
            redisReply *t;
            if (redisGetReply(c, (void **)&t) != REDIS_OK || redisGetReply(c, (void **)&values[i]) != REDIS_OK) exit(1);
            freeReplyObject(t);
        }
        for (size_t i = 0; i < n; i++)
            if (values[i]->type == REDIS_REPLY_STRING) redisAppendCommand(c, "PTTL %b", values[i]->str, values[i]->len);
        for (size_t i = 0; i < n; i++) {
            if (values[i]->type == REDIS_REPLY_STRING) {
                redisReply *t;
                if (redisGetReply(c, (void **)&t) != REDIS_OK) exit(1);
                if (t->integer != -2) live++;
                freeReplyObject(t);
            }
            freeReplyObject(values[i]);
        }
        free(values);
        mappings += (long)n;
        freeReplyObject(r);
    } while (strcmp(cursor, "0") != 0);
    printf("%ld %ld\n", mappings, live);
}

/* The user of a JSON payload: the bytes after "FIELD":" up to the next quote; 0 when absent. */
static int user_of(const redisReply *v, const char *field, const char **user, size_t *len) {
    char needle[256];
    int n = snprintf(needle, sizeof needle, "\"%s\":\"", field);
    if (v->type != REDIS_REPLY_STRING || n <= 0 || (size_t)n >= sizeof needle) return 0;
    const char *at = memmem(v->str, v->len, needle, (size_t)n);
    if (!at) return 0;
    at += n;
    const char *end = memchr(at, '"', v->len - (size_t)(at - v->str));
    if (!end) return 0;
    *user = at;
    *len = (size_t)(end - at);
    return 1;
}

static void index_build(redisContext *c, const char *pattern, const char *count, const char *field) {
    char cursor[64] = "0";
    long sessions = 0, written = 0;
    do {
        redisReply *r = redisCommand(c, "SCAN %s MATCH %s COUNT %s", cursor, pattern, count);
        if (!r || r->type != REDIS_REPLY_ARRAY || r->elements != 2) { fprintf(stderr, "floor: SCAN failed\n"); exit(1); }
        snprintf(cursor, sizeof cursor, "%s", r->element[0]->str);
        redisReply *keys = r->element[1];
        for (size_t i = 0; i < keys->elements; i++) {
            redisAppendCommand(c, "GET %b", keys->element[i]->str, keys->element[i]->len);
            redisAppendCommand(c, "PEXPIRETIME %b", keys->element[i]->str, keys->element[i]->len);
        }
        long long *expiry = calloc(keys->elements ? keys->elements : 1, sizeof *expiry);
        redisReply **values = calloc(keys->elements ? keys->elements : 1, sizeof *values);
        for (size_t i = 0; i < keys->elements; i++) {
            redisReply *t;
            if (redisGetReply(c, (void **)&values[i]) != REDIS_OK || redisGetReply(c, (void **)&t) != REDIS_OK) exit(1);
            expiry[i] = t->type == REDIS_REPLY_INTEGER ? t->integer : -2;
            freeReplyObject(t);
        }
        size_t n = 0;
        for (size_t i = 0; i < keys->elements; i++) {
            const char *user, *key = keys->element[i]->str, *colon = memchr(key, ':', keys->element[i]->len);
            size_t ulen;
            if (expiry[i] == -2 || !colon || !user_of(values[i], field, &user, &ulen)) continue;
            char mapping[1024];
            int len = snprintf(mapping, sizeof mapping, "user:%.*s:%.*s", (int)ulen, user,
                               (int)(keys->element[i]->len - (size_t)(colon + 1 - key)), colon + 1);
            if (len <= 0 || (size_t)len >= sizeof mapping) continue;
            if (expiry[i] > 0)
                redisAppendCommand(c, "SET %b %b PXAT %lld GET", mapping, (size_t)len, keys->element[i]->str, keys->element[i]->len, expiry[i]);
            else
                redisAppendCommand(c, "SET %b %b GET", mapping, (size_t)len, keys->element[i]->str, keys->element[i]->len);
            n++;
        }
        for (size_t i = 0; i < n; i++) {
            redisReply *w;
            if (redisGetReply(c, (void **)&w) != REDIS_OK) exit(1);
            freeReplyObject(w);
        }
        sessions += (long)keys->elements;
        written += (long)n;
        for (size_t i = 0; i < keys->elements; i++) freeReplyObject(values[i]);
        free(values);
        free(expiry);
        freeReplyObject(r);
    } while (strcmp(cursor, "0") != 0);
    printf("%ld %ld\n", sessions, written);
}

int main(int argc, char **argv) {
    if (argc >= 7 && strcmp(argv[1], "index-build") == 0) {
        redisContext *c = connect_or_die(argv[2], atoi(argv[3]));
        index_build(c, argv[4], argv[5], argv[6]);
        redisFree(c);
        return 0;
    }
    if (argc >= 6 && strcmp(argv[1], "audit") == 0) {
        redisContext *c = connect_or_die(argv[2], atoi(argv[3]));
        audit(c, argv[4], argv[5]);
        redisFree(c);
        return 0;
    }
    if (argc >= 6 && strcmp(argv[1], "scan") == 0) {
        redisContext *c = connect_or_die(argv[2], atoi(argv[3]));
        printf("%ld\n", scan(c, argv[4], argv[5], 0, NULL, NULL));
        redisFree(c);
        return 0;
    }
    if (argc >= 6 && strcmp(argv[1], "scan-get") == 0) {
        redisContext *c = connect_or_die(argv[2], atoi(argv[3]));
        long found = 0, ttls = 0;
        long n = scan(c, argv[4], argv[5], 1, &found, &ttls);
        printf("%ld %ld %ld\n", n, found, ttls);
        redisFree(c);
        return 0;
    }
    if (argc >= 5 && strcmp(argv[1], "scan-seq") == 0) {
        long total = 0;
        for (int i = 4; i < argc; i++) {
            char host[256];
            snprintf(host, sizeof host, "%s", argv[i]);
            char *colon = strrchr(host, ':');
            if (!colon) return 2;
            *colon = 0;
            redisContext *c = connect_or_die(host, atoi(colon + 1));
            total += scan(c, argv[3], argv[2], 0, NULL, NULL);
            redisFree(c);
        }
        printf("%ld\n", total);
        return 0;
    }
    fprintf(stderr, "usage: floor scan HOST PORT PATTERN COUNT | scan-get HOST PORT PATTERN COUNT | audit HOST PORT PREFIX COUNT |\n"
                    "       index-build HOST PORT PATTERN COUNT FIELD | scan-seq COUNT PATTERN HOST:PORT...\n");
    return 2;
}
