/* GET / (the dashboard page), GET /assets/{name} (its script, style sheet
 * and Chart.js) and GET /openapi.yaml: files compiled into the binary
 * (common/embedded.h), so the service needs no web root and works offline.
 *
 * Each reply carries a weak ETag derived from the file's content and is
 * marked Cache-Control: no-cache, so a browser revalidates and gets a 304
 * until the binary changes. A file embedded with a gzip twin (`NAME.gz`,
 * made at build time: Chart.js) is sent as that twin to clients that accept
 * gzip; the others are compressed on the fly like every text reply
 * (server/request.c). The page is served with a Content-Security-Policy that allows only
 * its own origin: no inline script, no third party. */
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "common/buf.h"
#include "common/embedded.h"
#include "handlers/handlers.h"

/* The content hash of each embedded file, computed on first use (0: not
 * yet). Files past the table's end are hashed on every request. */
enum { HASH_SLOTS = 256 };
static atomic_uint_fast64_t content_hash[HASH_SLOTS];

static uint64_t file_hash(const struct embedded_file *f)
{
    size_t i = (size_t)(f - embedded_files);
    uint64_t h = i < HASH_SLOTS ? atomic_load(&content_hash[i]) : 0;
    if (h)
        return h;
    h = buf_hash64(f->data, f->len, BUF_HASH_SEED) | 1; /* never 0 */
    if (i < HASH_SLOTS)
        atomic_store(&content_hash[i], h);
    return h;
}

static const char *content_type(const char *path)
{
    static const struct {
        const char *ext, *type;
    } types[] = {
        {".html", "text/html; charset=utf-8"},
        {".js", "text/javascript; charset=utf-8"},
        {".css", "text/css; charset=utf-8"},
        {".svg", "image/svg+xml"},
        {".png", "image/png"},
        {".ico", "image/x-icon"},
        {".json", "application/json; charset=utf-8"},
        {".yaml", "application/yaml"},
    };
    const char *dot = strrchr(path, '.');
    for (size_t i = 0; dot && i < sizeof types / sizeof *types; i++)
        if (strcmp(dot, types[i].ext) == 0)
            return types[i].type;
    return "application/octet-stream";
}

/* True when Accept-Encoding lists gzip without q=0. */
static bool accepts_gzip(struct http_req *r)
{
    const char *ae = http_req_header(r, "Accept-Encoding");
    const char *p = ae ? strstr(ae, "gzip") : NULL;
    if (!p)
        return false;
    const char *end = p + strcspn(p, ",");
    const char *q = strstr(p, "q=");
    return !(q && q < end && strspn(q + 2, "0.") == strcspn(q + 2, ",; \t"));
}

/* Replies with the embedded file at `path`; 404 when there is none. */
static int send_file(struct http_req *r, const char *path, const char *csp)
{
    char gzpath[256], variant[40];
    const struct embedded_file *f = embedded_find(path);
    if (!f)
        return http_problem(r, 404, "not-found", NULL, "there is no resource at %.200s",
                            http_req_path(r));
    snprintf(gzpath, sizeof gzpath, "%s.gz", path);
    const struct embedded_file *gz = embedded_find(gzpath);
    bool use_gz = gz && accepts_gzip(r);
    /* The ETag names the representation: the gzip bytes differ. */
    snprintf(variant, sizeof variant, "%016llx%s", (unsigned long long)file_hash(f),
             use_gz ? "+gzip" : "");
    bool fresh = http_not_modified(r, NULL, variant);
    if (!fresh) {
        int rc = use_gz ? http_reply_encoded(r, 200, content_type(path), "gzip", gz->data, gz->len)
                        : http_reply_data(r, 200, content_type(path), f->data, f->len);
        if (rc)
            return -1;
    } else if (gz) {
        http_reply_header(r, "Vary", "Accept-Encoding");
    }
    if (csp) {
        http_reply_header(r, "Content-Security-Policy", csp);
        http_reply_header(r, "Referrer-Policy", "no-referrer");
        http_reply_header(r, "X-Frame-Options", "DENY");
    }
    return 0;
}

int h_dashboard(struct http_req *r)
{
    return send_file(r, "web/index.html",
                     "default-src 'self'; script-src 'self'; style-src 'self'; "
                     "img-src 'self' data:; connect-src 'self'; base-uri 'none'; "
                     "form-action 'self'; frame-ancestors 'none'");
}

/* /assets/NAME: web/NAME, or a vendored library under web/vendor/. */
int h_asset(struct http_req *r)
{
    char path[256];
    const char *name = http_req_param(r);
    if (!name || strlen(name) > 128 || strchr(name, '/') || name[0] == '.' || strstr(name, ".gz"))
        return http_problem(r, 404, "not-found", NULL, "there is no asset %.100s",
                            name ? name : "");
    snprintf(path, sizeof path, "web/%s", name);
    if (!embedded_find(path))
        snprintf(path, sizeof path, "web/vendor/%s", name);
    if (strcmp(path, "web/index.html") == 0)
        return h_dashboard(r);
    return send_file(r, path, NULL);
}

int h_openapi(struct http_req *r)
{
    return send_file(r, "openapi.yaml", NULL);
}
