#include "tests/support/emulator.h"

#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ingest/gauth.h"

#ifndef EMU_BINARY
#define EMU_BINARY "sheets-emulator"
#endif

/* ---- files ---- */

char *emu_slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 4096, n = 0;
    char *s = malloc(cap);
    while (s) {
        if (n + 1 >= cap) {
            char *p = realloc(s, cap *= 2);
            if (!p) {
                free(s);
                s = NULL;
                break;
            }
            s = p;
        }
        size_t got = fread(s + n, 1, cap - n - 1, f);
        if (got == 0)
            break;
        n += got;
    }
    fclose(f);
    if (s)
        s[n] = '\0';
    if (len)
        *len = n;
    return s;
}

int emu_write_file(const char *path, const char *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return -1;
    size_t n = fwrite(data, 1, len, f);
    return fclose(f) == 0 && n == len ? 0 : -1;
}

/* ---- process ---- */

static void rm_dir(const char *dir)
{
    static const char *const names[] = {"data.csv", "data.json", "port", "key.json"};
    char p[192];
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        snprintf(p, sizeof p, "%s/%s", dir, names[i]);
        unlink(p);
    }
    rmdir(dir);
}

static int start(struct emu *e, const char *flag, const char *data_path, const char *const *extra,
                 char *err, size_t errlen)
{
    char port_path[128];
    const char *argv[64];
    size_t argc = 0;

    if (access(EMU_BINARY, X_OK) != 0) {
        snprintf(err, errlen, "build the sheets-emulator target first: %s", EMU_BINARY);
        goto fail;
    }
    snprintf(port_path, sizeof port_path, "%s/port", e->dir);
    snprintf(e->key_path, sizeof e->key_path, "%s/key.json", e->dir);
    snprintf(e->spreadsheet_id, sizeof e->spreadsheet_id, "demo-sheet");
    argv[argc++] = EMU_BINARY;
    if (flag) {
        argv[argc++] = flag;
        argv[argc++] = data_path;
    }
    const char *fixed[] = {"--port",    "0",         "--port-file", port_path,
                           "--key-out", e->key_path, "--threads",   "2"};
    for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++)
        argv[argc++] = fixed[i];
    for (size_t i = 0; extra && extra[i] && argc < 63; i++) {
        if (strcmp(extra[i], "--spreadsheet-id") == 0 && extra[i + 1])
            snprintf(e->spreadsheet_id, sizeof e->spreadsheet_id, "%s", extra[i + 1]);
        argv[argc++] = extra[i];
    }
    argv[argc] = NULL;

    e->pid = fork();
    if (e->pid < 0) {
        snprintf(err, errlen, "fork: %s", strerror(errno));
        e->pid = 0;
        goto fail;
    }
    if (e->pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGTERM); /* never outlive a crashed test */
        int devnull = open("/dev/null", O_WRONLY);
        if (devnull >= 0 && !getenv("EMU_TEST_VERBOSE"))
            dup2(devnull, 2);
        execv(EMU_BINARY, (char *const *)argv);
        _exit(127);
    }
    for (int i = 0; i < 400 && !e->port; i++) { /* up to 10 s */
        char *p = emu_slurp(port_path, NULL);
        if (p && *p)
            e->port = (unsigned)atoi(p);
        free(p);
        if (e->port)
            break;
        int st;
        if (waitpid(e->pid, &st, WNOHANG) == e->pid) {
            e->pid = 0;
            snprintf(err, errlen, "the emulator exited at start (status %d)",
                     WIFEXITED(st) ? WEXITSTATUS(st) : -1);
            goto fail;
        }
        usleep(25000);
    }
    if (!e->port) {
        snprintf(err, errlen, "the emulator wrote no port file in 10 s");
        goto fail;
    }
    snprintf(e->base, sizeof e->base, "http://127.0.0.1:%u", e->port);
    e->key = json_object_from_file(e->key_path);
    e->curl = curl_easy_init();
    if (!e->key || !e->curl) {
        snprintf(err, errlen, "cannot read the key file %s", e->key_path);
        goto fail;
    }
    return 0;
fail:
    emu_stop(e);
    return -1;
}

int emu_start(struct emu *e, const char *flag, const char *data_path, const char *const *extra,
              char *err, size_t errlen)
{
    memset(e, 0, sizeof *e);
    snprintf(e->dir, sizeof e->dir, "/tmp/emutest-XXXXXX");
    if (!mkdtemp(e->dir)) {
        snprintf(err, errlen, "mkdtemp: %s", strerror(errno));
        e->dir[0] = '\0';
        return -1;
    }
    return start(e, flag, data_path, extra, err, errlen);
}

int emu_start_text(struct emu *e, const char *kind, const char *text, const char *const *extra,
                   char *err, size_t errlen)
{
    char data_path[128], flag[16];
    memset(e, 0, sizeof *e);
    snprintf(e->dir, sizeof e->dir, "/tmp/emutest-XXXXXX");
    if (!mkdtemp(e->dir)) {
        snprintf(err, errlen, "mkdtemp: %s", strerror(errno));
        e->dir[0] = '\0';
        return -1;
    }
    snprintf(data_path, sizeof data_path, "%s/data.%s", e->dir, kind);
    snprintf(flag, sizeof flag, "--%s", kind);
    if (emu_write_file(data_path, text, strlen(text))) {
        snprintf(err, errlen, "%s: %s", data_path, strerror(errno));
        emu_stop(e);
        return -1;
    }
    return start(e, flag, data_path, extra, err, errlen);
}

int emu_stop(struct emu *e)
{
    int rc = 0;
    if (e->pid > 0) {
        kill(e->pid, SIGTERM);
        int st = 0;
        if (waitpid(e->pid, &st, 0) != e->pid || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
            rc = -1;
    }
    if (e->dir[0])
        rm_dir(e->dir);
    json_object_put(e->key);
    if (e->curl)
        curl_easy_cleanup(e->curl);
    gauth_free(e->writer);
    memset(e, 0, sizeof *e);
    return rc;
}

/* ---- HTTP ---- */

static size_t on_body(char *p, size_t sz, size_t n, void *ud)
{
    struct emu_resp *r = ud;
    char *b = realloc(r->body, r->len + sz * n + 1);
    if (!b)
        return 0;
    memcpy(b + r->len, p, sz * n);
    r->body = b;
    r->len += sz * n;
    r->body[r->len] = '\0';
    return sz * n;
}

static void header_value(const char *line, size_t n, const char *name, char *out, size_t outlen)
{
    size_t k = strlen(name);
    if (n <= k || strncasecmp(line, name, k) != 0)
        return;
    const char *v = line + k;
    size_t vl = n - k;
    while (vl && *v == ' ')
        v++, vl--;
    while (vl && (v[vl - 1] == '\r' || v[vl - 1] == '\n'))
        vl--;
    snprintf(out, outlen, "%.*s", (int)vl, v);
}

static size_t on_header(char *p, size_t sz, size_t n, void *ud)
{
    struct emu_resp *r = ud;
    header_value(p, sz * n, "Retry-After:", r->retry_after, sizeof r->retry_after);
    header_value(p, sz * n, "Content-Type:", r->ctype, sizeof r->ctype);
    return sz * n;
}

void emu_resp_free(struct emu_resp *r)
{
    free(r->body);
    json_object_put(r->json);
    memset(r, 0, sizeof *r);
}

int emu_request(struct emu *e, struct emu_resp *r, const char *method, const char *path,
                const char *body, const char *token, const char *ctype)
{
    char url[4096], auth[GAUTH_TOKEN_MAX + 32], ct[160];
    struct curl_slist *h = NULL;
    memset(r, 0, sizeof *r);
    snprintf(url, sizeof url, "%s%s", e->base, path);
    CURL *c = e->curl;
    curl_easy_reset(c);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, r);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, e->timeout_ms ? e->timeout_ms : 10000L);
    e->timeout_ms = 0;
    if (e->fresh)
        curl_easy_setopt(c, CURLOPT_FRESH_CONNECT, 1L);
    e->fresh = false;
    if (body) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
    }
    if (token) {
        snprintf(auth, sizeof auth, "Authorization: Bearer %s", token);
        h = curl_slist_append(h, auth);
    }
    if (ctype) {
        snprintf(ct, sizeof ct, "Content-Type: %s", ctype);
        h = curl_slist_append(h, ct);
    }
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    r->rc = curl_easy_perform(c);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
    curl_slist_free_all(h);
    if (r->body)
        r->json = json_tokener_parse(r->body);
    return r->rc == CURLE_OK ? 0 : -1;
}

long emu_control(struct emu *e, struct emu_resp *r, const char *method, const char *what,
                 const char *body)
{
    struct emu_resp own;
    char path[256];
    if (!r)
        r = &own;
    snprintf(path, sizeof path, "/_emulator/%s", what);
    emu_request(e, r, method, path, body, NULL, body ? "application/json" : NULL);
    long status = r->rc == CURLE_OK ? r->status : -1;
    if (r == &own)
        emu_resp_free(&own);
    return status;
}

int emu_fail(struct emu *e, const char *mode, int status, int count, long retry_after,
             const char *path_prefix)
{
    json_object *o = json_object_new_object();
    json_object_object_add(o, "mode", json_object_new_string(mode));
    json_object_object_add(o, "count", json_object_new_int(count));
    if (status)
        json_object_object_add(o, "status", json_object_new_int(status));
    if (retry_after >= 0)
        json_object_object_add(o, "retry_after", json_object_new_int64(retry_after));
    if (path_prefix)
        json_object_object_add(o, "path", json_object_new_string(path_prefix));
    long st = emu_control(e, NULL, "POST", "fail",
                          json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
    json_object_put(o);
    return st == 200 ? 0 : -1;
}

void emu_values_path(const struct emu *e, const char *range, char *out, size_t outlen)
{
    snprintf(out, outlen, "/v4/spreadsheets/%s/values/%s", e->spreadsheet_id, range);
}

/* A write with the read-write token; one new token after a 401. */
static long write_call(struct emu *e, const char *method, const char *path, const char *body,
                       char *err, size_t errlen)
{
    char token[GAUTH_TOKEN_MAX];
    if (!e->writer) {
        struct gauth_options o = {.scope = EMU_SCOPE_RW};
        e->writer = gauth_new_from_file(e->key_path, &o, err, errlen);
        if (!e->writer)
            return -1;
    }
    for (int attempt = 0; attempt < 2; attempt++) {
        struct emu_resp r;
        if (gauth_token(e->writer, token, err, errlen))
            return -1;
        emu_request(e, &r, method, path, body, token, "application/json");
        long status = r.rc == CURLE_OK ? r.status : -1;
        if (status == 401 && attempt == 0) {
            gauth_invalidate(e->writer, token);
            emu_resp_free(&r);
            continue;
        }
        if (status != 200)
            snprintf(err, errlen, "%s %s: %ld %s", method, path, status,
                     r.body ? r.body : curl_easy_strerror(r.rc));
        emu_resp_free(&r);
        return status;
    }
    return -1;
}

long emu_put_values(struct emu *e, const char *range, const char *input_option, const char *body,
                    char *err, size_t errlen)
{
    char path[2048];
    char *esc = curl_easy_escape(e->curl, range, 0);
    snprintf(path, sizeof path, "/v4/spreadsheets/%s/values/%s?valueInputOption=%s",
             e->spreadsheet_id, esc ? esc : "", input_option);
    curl_free(esc);
    return write_call(e, "PUT", path, body, err, errlen);
}

long emu_batch_update(struct emu *e, const char *body, char *err, size_t errlen)
{
    char path[256];
    snprintf(path, sizeof path, "/v4/spreadsheets/%s:batchUpdate", e->spreadsheet_id);
    return write_call(e, "POST", path, body, err, errlen);
}

static long dimension(struct emu *e, const char *op, long row, long count, char *err, size_t errlen)
{
    char body[512];
    snprintf(body, sizeof body,
             "{\"requests\":[{\"%s\":{\"range\":{\"sheetId\":0,\"dimension\":\"ROWS\","
             "\"startIndex\":%ld,\"endIndex\":%ld}}}]}",
             op, row - 1, row - 1 + count);
    return emu_batch_update(e, body, err, errlen);
}

long emu_insert_rows(struct emu *e, long row, long count, char *err, size_t errlen)
{
    return dimension(e, "insertDimension", row, count, err, errlen);
}

long emu_delete_rows(struct emu *e, long row, long count, char *err, size_t errlen)
{
    return dimension(e, "deleteDimension", row, count, err, errlen);
}

/* ---- JSON ---- */

const char *emu_jstr(struct json_object *o, const char *path)
{
    char key[128];
    const char *p = path;
    while (o && *p) {
        size_t n = strcspn(p, ".");
        snprintf(key, sizeof key, "%.*s", (int)n, p);
        struct json_object *x = NULL;
        if (!json_object_object_get_ex(o, key, &x))
            return NULL;
        o = x;
        p += n + (p[n] == '.');
    }
    return o ? json_object_get_string(o) : NULL;
}

long emu_stat(struct emu *e, const char *path)
{
    struct emu_resp r;
    long v = -1;
    if (emu_control(e, &r, "GET", "stats", NULL) == 200) {
        const char *s = emu_jstr(r.json, path);
        if (s)
            v = atol(s);
    }
    emu_resp_free(&r);
    return v;
}
