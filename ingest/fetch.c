#include "ingest/fetch.h"

#include <curl/curl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

struct fetch {
    CURL *h;
    struct fetch_options o;
    struct fetch_response *resp; /* the call in progress */
    bool too_big;
    bool cancelled; /* the cancel callback ended the call in progress */
    char errbuf[CURL_ERROR_SIZE];
};

struct fetch *fetch_new(const struct fetch_options *o)
{
    struct fetch *f = calloc(1, sizeof *f);
    if (!f)
        return NULL;
    if (o)
        f->o = *o;
    if (f->o.connect_timeout_ms <= 0)
        f->o.connect_timeout_ms = FETCH_DEFAULT_CONNECT_TIMEOUT_MS;
    if (f->o.timeout_ms <= 0)
        f->o.timeout_ms = FETCH_DEFAULT_TIMEOUT_MS;
    if (f->o.max_body == 0)
        f->o.max_body = FETCH_DEFAULT_MAX_BODY;
    f->h = curl_easy_init();
    if (!f->h) {
        free(f);
        return NULL;
    }
    return f;
}

void fetch_free(struct fetch *f)
{
    if (!f)
        return;
    curl_easy_cleanup(f->h);
    free(f);
}

void fetch_response_free(struct fetch_response *r)
{
    buf_free(&r->body);
    r->status = 0;
    r->retry_after_s = -1;
}

static size_t on_body(char *p, size_t size, size_t n, void *arg)
{
    struct fetch *f = arg;
    if (buf_append(&f->resp->body, p, n)) {
        f->too_big = true;
        return 0; /* aborts the transfer with CURLE_WRITE_ERROR */
    }
    (void)size; /* always 1 */
    return n;
}

/* libcurl calls this while a transfer waits or runs; non-zero aborts it
 * with CURLE_ABORTED_BY_CALLBACK. */
static int on_progress(void *arg, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
                       curl_off_t ulnow)
{
    struct fetch *f = arg;
    (void)dltotal, (void)dlnow, (void)ultotal, (void)ulnow;
    if (f->o.cancel(f->o.cancel_arg)) {
        f->cancelled = true;
        return 1;
    }
    return 0;
}

/* Retry-After is delta-seconds or an HTTP date (RFC 9110 §10.2.3). */
static long parse_retry_after(const char *v, size_t n)
{
    char tmp[128];
    while (n && (*v == ' ' || *v == '\t'))
        v++, n--;
    while (n && (v[n - 1] == '\r' || v[n - 1] == '\n' || v[n - 1] == ' ' || v[n - 1] == '\t'))
        n--;
    if (n == 0 || n >= sizeof tmp)
        return -1;
    memcpy(tmp, v, n);
    tmp[n] = '\0';
    char *end;
    long s = strtol(tmp, &end, 10);
    if (end != tmp && *end == '\0')
        return s < 0 ? -1 : s;
    time_t t = curl_getdate(tmp, NULL);
    if (t == (time_t)-1)
        return -1;
    time_t now = time(NULL);
    return t > now ? (long)(t - now) : 0;
}

static size_t on_header(char *p, size_t size, size_t n, void *arg)
{
    struct fetch *f = arg;
    static const char name[] = "retry-after:";
    (void)size;
    if (n > sizeof name - 1 && strncasecmp(p, name, sizeof name - 1) == 0)
        f->resp->retry_after_s = parse_retry_after(p + sizeof name - 1, n - (sizeof name - 1));
    else if (n >= 5 && strncmp(p, "HTTP/", 5) == 0)
        f->resp->retry_after_s = -1; /* a new response (after 100 Continue) */
    return n;
}

static int classify(CURLcode rc, bool too_big, bool cancelled)
{
    if (too_big)
        return FETCH_ERR_TOO_BIG;
    if (cancelled)
        return FETCH_ERR_CANCELLED;
    switch (rc) {
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_URL_MALFORMAT:
    case CURLE_NOT_BUILT_IN:
    case CURLE_OUT_OF_MEMORY:
    case CURLE_BAD_FUNCTION_ARGUMENT:
    case CURLE_UNKNOWN_OPTION:
    case CURLE_WRITE_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CACERT_BADFILE:
        return FETCH_ERR_OTHER;
    default:
        return FETCH_ERR_NETWORK;
    }
}

/* Zeroes the strings of a header list before freeing it: one of them may
 * hold a bearer token. */
static void free_headers(struct curl_slist *l)
{
    for (struct curl_slist *p = l; p; p = p->next)
        if (p->data)
            memset(p->data, 0, strlen(p->data));
    curl_slist_free_all(l);
}

static int perform(struct fetch *f, const char *url, const char *bearer, const char *content_type,
                   const char *body, size_t len, struct fetch_response *resp, char *err,
                   size_t errlen)
{
    struct curl_slist *headers = NULL, *l;
    char *auth = NULL;
    int rc = FETCH_ERR_OTHER;

    resp->status = 0;
    resp->retry_after_s = -1;
    buf_init(&resp->body, f->o.max_body);
    f->resp = resp;
    f->too_big = false;
    f->cancelled = false;
    f->errbuf[0] = '\0';
    if (f->o.cancel && f->o.cancel(f->o.cancel_arg)) {
        snprintf(err, errlen, "cancelled");
        rc = FETCH_ERR_CANCELLED;
        goto out;
    }

    if (bearer) {
        size_t n = strlen(bearer) + sizeof "Authorization: Bearer ";
        auth = malloc(n);
        if (!auth)
            goto oom;
        snprintf(auth, n, "Authorization: Bearer %s", bearer);
        if (!(l = curl_slist_append(headers, auth)))
            goto oom;
        headers = l;
    }
    if (content_type) {
        char ct[256];
        snprintf(ct, sizeof ct, "Content-Type: %s", content_type);
        if (!(l = curl_slist_append(headers, ct)))
            goto oom;
        headers = l;
    }
    if (!(l = curl_slist_append(headers, "Accept: application/json")))
        goto oom;
    headers = l;
    if (body) {
        /* No "Expect: 100-continue" round trip for a small form. */
        if (!(l = curl_slist_append(headers, "Expect:")))
            goto oom;
        headers = l;
    }

    /* Reset drops the last call's options but keeps the connection cache,
     * so keep-alive survives. */
    curl_easy_reset(f->h);
    curl_easy_setopt(f->h, CURLOPT_URL, url);
    curl_easy_setopt(f->h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(f->h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(f->h, CURLOPT_CONNECTTIMEOUT_MS, f->o.connect_timeout_ms);
    curl_easy_setopt(f->h, CURLOPT_TIMEOUT_MS, f->o.timeout_ms);
    curl_easy_setopt(f->h, CURLOPT_ACCEPT_ENCODING, ""); /* gzip: JSON shrinks well */
    curl_easy_setopt(f->h, CURLOPT_USERAGENT, "sheetsync/" SHEETSYNC_VERSION);
    curl_easy_setopt(f->h, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(f->h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(f->h, CURLOPT_WRITEDATA, f);
    curl_easy_setopt(f->h, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(f->h, CURLOPT_HEADERDATA, f);
    curl_easy_setopt(f->h, CURLOPT_ERRORBUFFER, f->errbuf);
    if (f->o.cancel) {
        curl_easy_setopt(f->h, CURLOPT_XFERINFOFUNCTION, on_progress);
        curl_easy_setopt(f->h, CURLOPT_XFERINFODATA, f);
        curl_easy_setopt(f->h, CURLOPT_NOPROGRESS, 0L);
    }
    if (body) {
        curl_easy_setopt(f->h, CURLOPT_POST, 1L);
        curl_easy_setopt(f->h, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(f->h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
    }

    CURLcode cc = curl_easy_perform(f->h);
    if (cc != CURLE_OK) {
        rc = classify(cc, f->too_big, f->cancelled);
        if (rc == FETCH_ERR_TOO_BIG)
            snprintf(err, errlen, "response larger than %zu bytes", f->o.max_body);
        else if (rc == FETCH_ERR_CANCELLED)
            snprintf(err, errlen, "cancelled");
        else if (f->errbuf[0])
            snprintf(err, errlen, "curl: %s (%s)", curl_easy_strerror(cc), f->errbuf);
        else
            snprintf(err, errlen, "curl: %s", curl_easy_strerror(cc));
        goto out;
    }
    curl_easy_getinfo(f->h, CURLINFO_RESPONSE_CODE, &resp->status);
    rc = 0;
    goto out;

oom:
    snprintf(err, errlen, "out of memory");
out:
    /* The handle must not keep pointers to the headers freed below. */
    curl_easy_setopt(f->h, CURLOPT_HTTPHEADER, NULL);
    curl_easy_setopt(f->h, CURLOPT_POSTFIELDS, NULL);
    curl_easy_setopt(f->h, CURLOPT_ERRORBUFFER, NULL);
    free_headers(headers);
    if (auth) {
        memset(auth, 0, strlen(auth));
        free(auth);
    }
    f->resp = NULL;
    return rc;
}

int fetch_get(struct fetch *f, const char *url, const char *bearer, struct fetch_response *resp,
              char *err, size_t errlen)
{
    return perform(f, url, bearer, NULL, NULL, 0, resp, err, errlen);
}

int fetch_post(struct fetch *f, const char *url, const char *content_type, const char *body,
               size_t len, struct fetch_response *resp, char *err, size_t errlen)
{
    return perform(f, url, NULL, content_type, body ? body : "", len, resp, err, errlen);
}
