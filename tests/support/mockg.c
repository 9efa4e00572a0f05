#include "tests/support/mockg.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/buf.h"

#define MAX_REPLIES  64
#define MAX_REQUESTS 256

struct mockg {
    struct MHD_Daemon *d;
    char base[64];
    pthread_mutex_t lock;
    struct mockg_reply replies[MAX_REPLIES];
    size_t nreplies, next_reply;
    struct mockg_request requests[MAX_REQUESTS];
    size_t nrequests;
    unsigned token_requests;
    char *last_token_body;
    int token_status;
    char *token_body;
    long expires_in;
};

/* Per request: the uploaded body. */
struct req {
    struct buf body;
};

/* Keeps the path raw so tests see the client's percent-encoding. */
static size_t no_unescape(void *cls, struct MHD_Connection *c, char *s)
{
    (void)cls, (void)c;
    return strlen(s);
}

static enum MHD_Result add_arg(void *cls, enum MHD_ValueKind kind, const char *key,
                               const char *value)
{
    struct buf *b = cls;
    (void)kind;
    buf_printf(b, "%c%s%s%s", b->len && strchr(b->data, '?') ? '&' : '?', key, value ? "=" : "",
               value ? value : "");
    return MHD_YES;
}

static enum MHD_Result send_reply(struct MHD_Connection *conn, int status, const char *body,
                                  const char *retry_after)
{
    struct MHD_Response *r =
        MHD_create_response_from_buffer(strlen(body), (void *)body, MHD_RESPMEM_MUST_COPY);
    MHD_add_response_header(r, "Content-Type", "application/json; charset=UTF-8");
    if (retry_after)
        MHD_add_response_header(r, "Retry-After", retry_after);
    enum MHD_Result ret = MHD_queue_response(conn, (unsigned)status, r);
    MHD_destroy_response(r);
    return ret;
}

struct cut {
    char *body;
    size_t len;
};

static ssize_t cut_reader(void *cls, uint64_t pos, char *buf, size_t max)
{
    struct cut *c = cls;
    if (pos >= c->len)
        return MHD_CONTENT_READER_END_WITH_ERROR;
    size_t n = c->len - (size_t)pos < max ? c->len - (size_t)pos : max;
    memcpy(buf, c->body + pos, n);
    return (ssize_t)n;
}

static void cut_free(void *cls)
{
    struct cut *c = cls;
    free(c->body);
    free(c);
}

static enum MHD_Result handler(void *cls, struct MHD_Connection *conn, const char *url,
                               const char *method, const char *version, const char *upload,
                               size_t *upload_size, void **req_cls)
{
    struct mockg *m = cls;
    struct req *rq = *req_cls;
    (void)version;
    if (!rq) {
        /* Answer on a later call: queuing on the first forces Connection: close. */
        rq = calloc(1, sizeof *rq);
        buf_init(&rq->body, 0);
        *req_cls = rq;
        return MHD_YES;
    }
    if (*upload_size) {
        buf_append(&rq->body, upload, *upload_size);
        *upload_size = 0;
        return MHD_YES;
    }

    if (strcmp(url, "/token") == 0) {
        char body[512];
        int status = 200;
        pthread_mutex_lock(&m->lock);
        m->token_requests++;
        free(m->last_token_body);
        m->last_token_body = strdup(rq->body.data ? rq->body.data : "");
        if (m->token_body) {
            status = m->token_status;
            snprintf(body, sizeof body, "%s", m->token_body);
        } else {
            snprintf(body, sizeof body,
                     "{\"access_token\":\"tok-%u\",\"expires_in\":%ld,\"token_type\":\"Bearer\"}",
                     m->token_requests, m->expires_in);
        }
        pthread_mutex_unlock(&m->lock);
        return send_reply(conn, status, body, NULL);
    }

    struct buf full;
    buf_init(&full, 0);
    buf_puts(&full, url);
    MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND, add_arg, &full);
    const char *auth = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Authorization");

    struct mockg_reply r = {.status = 599, .body = "{\"error\":\"mock: no canned reply\"}"};
    char *body_copy = NULL;
    pthread_mutex_lock(&m->lock);
    if (m->nrequests < MAX_REQUESTS) {
        struct mockg_request *q = &m->requests[m->nrequests++];
        snprintf(q->method, sizeof q->method, "%s", method);
        q->url = full.data ? strdup(full.data) : strdup("");
        q->auth = auth ? strdup(auth) : NULL;
        q->body = strdup(rq->body.data ? rq->body.data : "");
        const union MHD_ConnectionInfo *ci =
            MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
        if (ci && ci->client_addr && ci->client_addr->sa_family == AF_INET)
            q->client_port = ntohs(((const struct sockaddr_in *)ci->client_addr)->sin_port);
    }
    if (m->next_reply < m->nreplies)
        r = m->replies[m->next_reply++];
    body_copy = strdup(r.body ? r.body : "");
    pthread_mutex_unlock(&m->lock);
    buf_free(&full);

    enum MHD_Result ret = MHD_YES;
    switch (r.action) {
    case MOCKG_RESET:
        ret = MHD_NO;
        break;
    case MOCKG_SLOW:
        usleep((useconds_t)r.delay_ms * 1000);
        ret = send_reply(conn, r.status, body_copy, r.retry_after);
        break;
    case MOCKG_CUT: {
        struct cut *c = malloc(sizeof *c);
        c->body = strdup(body_copy);
        c->len = strlen(body_copy);
        struct MHD_Response *resp =
            MHD_create_response_from_callback(c->len * 2, 4096, cut_reader, c, cut_free);
        ret = MHD_queue_response(conn, (unsigned)r.status, resp);
        MHD_destroy_response(resp);
        break;
    }
    case MOCKG_REPLY:
        ret = send_reply(conn, r.status, body_copy, r.retry_after);
        break;
    }
    free(body_copy);
    return ret;
}

static void completed(void *cls, struct MHD_Connection *c, void **req_cls,
                      enum MHD_RequestTerminationCode toe)
{
    (void)cls, (void)c, (void)toe;
    struct req *rq = *req_cls;
    if (rq) {
        buf_free(&rq->body);
        free(rq);
        *req_cls = NULL;
    }
}

struct mockg *mockg_start(void)
{
    struct mockg *m = calloc(1, sizeof *m);
    if (!m)
        return NULL;
    pthread_mutex_init(&m->lock, NULL);
    m->expires_in = 3600;
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = 0};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    m->d = MHD_start_daemon(MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD, 0,
                            NULL, NULL, handler, m, MHD_OPTION_UNESCAPE_CALLBACK, no_unescape, NULL,
                            MHD_OPTION_NOTIFY_COMPLETED, completed, NULL, MHD_OPTION_SOCK_ADDR,
                            (const struct sockaddr *)&sa, MHD_OPTION_END);
    if (!m->d) {
        free(m);
        return NULL;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(m->d, MHD_DAEMON_INFO_BIND_PORT);
    snprintf(m->base, sizeof m->base, "http://127.0.0.1:%u", (unsigned)info->port);
    return m;
}

void mockg_stop(struct mockg *m)
{
    if (!m)
        return;
    MHD_stop_daemon(m->d);
    for (size_t i = 0; i < m->nreplies; i++) {
        free((char *)m->replies[i].body);
        free((char *)m->replies[i].retry_after);
    }
    for (size_t i = 0; i < m->nrequests; i++) {
        free(m->requests[i].url);
        free(m->requests[i].auth);
        free(m->requests[i].body);
    }
    free(m->last_token_body);
    free(m->token_body);
    pthread_mutex_destroy(&m->lock);
    free(m);
}

const char *mockg_base_url(struct mockg *m)
{
    return m->base;
}

void mockg_push(struct mockg *m, struct mockg_reply r)
{
    pthread_mutex_lock(&m->lock);
    if (m->nreplies < MAX_REPLIES) {
        r.body = strdup(r.body ? r.body : "");
        r.retry_after = r.retry_after ? strdup(r.retry_after) : NULL;
        m->replies[m->nreplies++] = r;
    }
    pthread_mutex_unlock(&m->lock);
}

void mockg_push_json(struct mockg *m, int status, const char *body)
{
    mockg_push(m, (struct mockg_reply){.status = status, .body = body});
}

void mockg_set_token_reply(struct mockg *m, int status, const char *body)
{
    pthread_mutex_lock(&m->lock);
    free(m->token_body);
    m->token_body = body ? strdup(body) : NULL;
    m->token_status = status;
    pthread_mutex_unlock(&m->lock);
}

void mockg_set_token_expires_in(struct mockg *m, long expires_in)
{
    pthread_mutex_lock(&m->lock);
    m->expires_in = expires_in;
    pthread_mutex_unlock(&m->lock);
}

size_t mockg_nrequests(struct mockg *m)
{
    pthread_mutex_lock(&m->lock);
    size_t n = m->nrequests;
    pthread_mutex_unlock(&m->lock);
    return n;
}

const struct mockg_request *mockg_request(struct mockg *m, size_t i)
{
    pthread_mutex_lock(&m->lock);
    const struct mockg_request *q = i < m->nrequests ? &m->requests[i] : NULL;
    pthread_mutex_unlock(&m->lock);
    return q;
}

unsigned mockg_token_requests(struct mockg *m)
{
    pthread_mutex_lock(&m->lock);
    unsigned n = m->token_requests;
    pthread_mutex_unlock(&m->lock);
    return n;
}

const char *mockg_last_token_body(struct mockg *m)
{
    pthread_mutex_lock(&m->lock);
    const char *s = m->last_token_body;
    pthread_mutex_unlock(&m->lock);
    return s;
}

/* ---- keys ---- */

static char *bio_string(BIO *bio)
{
    char *p;
    long n = BIO_get_mem_data(bio, &p);
    char *s = malloc((size_t)n + 1);
    if (s) {
        memcpy(s, p, (size_t)n);
        s[n] = '\0';
    }
    return s;
}

/* A fresh RSA-2048 key: PKCS#8 private PEM, and the public PEM. */
static char *new_key(char **public_pem)
{
    EVP_PKEY *k = EVP_RSA_gen(2048);
    BIO *priv = BIO_new(BIO_s_mem()), *pub = BIO_new(BIO_s_mem());
    char *s = NULL;
    if (k && priv && pub && PEM_write_bio_PrivateKey(priv, k, NULL, NULL, 0, NULL, NULL) == 1 &&
        PEM_write_bio_PUBKEY(pub, k) == 1) {
        s = bio_string(priv);
        if (public_pem)
            *public_pem = bio_string(pub);
    }
    BIO_free(priv);
    BIO_free(pub);
    EVP_PKEY_free(k);
    return s;
}

static void add_field(struct buf *b, const char *key, const char *value)
{
    if (!value)
        return;
    buf_printf(b, "%s\"%s\": ", b->data[b->len - 1] == ' ' ? "" : ",\n  ", key);
    buf_json_string(b, value, strlen(value));
}

char *mockg_key_json(const char *type, const char *private_key_pem, const char *client_email,
                     const char *token_uri, const char *private_key_id, char **public_pem)
{
    struct buf b;
    char *fresh = NULL;
    buf_init(&b, 0);
    if (!private_key_pem)
        private_key_pem = fresh = new_key(public_pem);
    buf_puts(&b, "{\n  ");
    add_field(&b, "type", type);
    add_field(&b, "project_id", "sheetsync-test");
    add_field(&b, "private_key_id", private_key_id);
    add_field(&b, "private_key", private_key_pem);
    add_field(&b, "client_email", client_email);
    add_field(&b, "client_id", "123456789");
    add_field(&b, "token_uri", token_uri);
    buf_puts(&b, "\n}\n");
    free(fresh);
    return b.data;
}

char *mockg_temp_file(const char *text)
{
    char *path = strdup("/tmp/sheetsync_test_XXXXXX");
    int fd = mkstemp(path);
    if (fd < 0) {
        free(path);
        return NULL;
    }
    size_t n = strlen(text);
    if (write(fd, text, n) != (ssize_t)n) {
        close(fd);
        unlink(path);
        free(path);
        return NULL;
    }
    close(fd);
    return path;
}

char *mockg_key_file(const char *token_uri, char **public_pem)
{
    char *json =
        mockg_key_json("service_account", NULL, "sheetsync@test-project.iam.gserviceaccount.com",
                       token_uri, "kid-0123456789abcdef", public_pem);
    char *path = json ? mockg_temp_file(json) : NULL;
    free(json);
    return path;
}
