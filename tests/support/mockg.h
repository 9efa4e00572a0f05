#ifndef SHEETSYNC_TESTS_MOCKG_H
#define SHEETSYNC_TESTS_MOCKG_H

#include <stddef.h>

/* A tiny canned-answer stand-in for the Sheets API and the OAuth token
 * endpoint, for the client's unit tests: a real libmicrohttpd daemon on
 * 127.0.0.1, port 0, one thread per connection (so a slow answer does not
 * hold up the retry). Requests to /token get a token (tok-1, tok-2, ...)
 * unless a token reply is set; every other request gets the next canned
 * reply, in order, and is recorded raw (the path is not unescaped). */

enum mockg_action {
    MOCKG_REPLY, /* answer status/body */
    MOCKG_RESET, /* close the connection without an answer */
    MOCKG_SLOW,  /* wait delay_ms, then answer */
    MOCKG_CUT,   /* announce twice the body's length, send the body, then close */
};

struct mockg_reply {
    int status;
    const char *body;        /* copied */
    const char *retry_after; /* Retry-After header value, or NULL */
    enum mockg_action action;
    int delay_ms;
};

struct mockg_request {
    char method[8];
    char *url;  /* raw path and query, e.g. /v4/spreadsheets/x/values/Sheet1%211%3A5?a=b */
    char *auth; /* the Authorization header, or NULL */
    char *body;
    unsigned client_port; /* tells connections apart (keep-alive) */
};

struct mockg;

struct mockg *mockg_start(void);
void mockg_stop(struct mockg *m);
/* "http://127.0.0.1:<port>"; owned by m. */
const char *mockg_base_url(struct mockg *m);

/* Queues one reply for the next API request. */
void mockg_push(struct mockg *m, struct mockg_reply r);
/* Shorthand: mockg_push(m, {status, body}). */
void mockg_push_json(struct mockg *m, int status, const char *body);

/* /token answers status + body instead of a new token (body NULL: back to
 * tokens). expires_in of the default answer (3600 unless set). */
void mockg_set_token_reply(struct mockg *m, int status, const char *body);
void mockg_set_token_expires_in(struct mockg *m, long expires_in);

/* API requests seen so far (not /token); i-th; owned by m. */
size_t mockg_nrequests(struct mockg *m);
const struct mockg_request *mockg_request(struct mockg *m, size_t i);
/* Token requests seen so far, and the last one's form body (owned by m). */
unsigned mockg_token_requests(struct mockg *m);
const char *mockg_last_token_body(struct mockg *m);

/* A fresh RSA-2048 service-account key file whose token_uri is given.
 * Returns its malloc'd path; *public_pem (malloc'd) is the matching public
 * key, for checking signatures. */
char *mockg_key_file(const char *token_uri, char **public_pem);

/* The same key as JSON text (malloc'd), with the fields given; any field
 * NULL is left out. private_key_pem NULL = a fresh key. */
char *mockg_key_json(const char *type, const char *private_key_pem, const char *client_email,
                     const char *token_uri, const char *private_key_id, char **public_pem);

/* Writes text to a new temporary file; returns its malloc'd path. */
char *mockg_temp_file(const char *text);

#endif
