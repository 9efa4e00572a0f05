#ifndef SHEETSYNC_TESTS_CHILD_H
#define SHEETSYNC_TESTS_CHILD_H

#include <sys/types.h>

/* The real `sheetsync` binary as a child process of a test, against a
 * sheets-emulator: killed when the test process dies, stderr to a log. */

struct child_env {
    const char *db, *log;     /* database path; the child's stderr goes here */
    const char *key_path;     /* the emulator's service-account key */
    const char *api_base;     /* the emulator's base URL */
    const char *const *extra; /* more NAME=VALUE settings, NULL-terminated; may be NULL */
};

/* Forks and execs `sheetsync COMMAND` with the source demo-sheet/Issues on
 * port 0, no reconcile, logging at info, and e->extra. Returns the pid. */
pid_t child_start(const struct child_env *e, const char *command);

/* Waits (10 s at most) for serve's "listening on" line in `log`; returns
 * the port. Fails the test when the child exits or logs no port. */
unsigned child_wait_port(pid_t child, const char *log);

#endif
