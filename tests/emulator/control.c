/* Test controls under /_emulator/ (no auth), the request log and counters.
 * tests/emulator/README.md documents each endpoint. */
#include "tests/emulator/server.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"

static void ctl_error(struct emu_reply *r, unsigned status, const char *msg)
{
    struct jbuf *b = &r->body;
    b->len = 0;
    r->status = status;
    emu_jb_add(b, "{", 1);
    emu_jb_indent(b, 1);
    emu_jb_key(b, "error");
    emu_jb_str(b, msg, strlen(msg));
    emu_jb_indent(b, 0);
    emu_jb_add(b, "}", 1);
}

/* Sends o (taking it) as a 200 answer. */
static void ctl_json(struct emu_reply *r, struct json_object *o)
{
    if (!o) {
        ctl_error(r, 500, "out of memory");
        return;
    }
    r->status = 200;
    emu_jb_json(&r->body, o, 0);
    json_object_put(o);
}

static struct json_object *obj_add(struct json_object *o, const char *k, struct json_object *v)
{
    if (!o || !v || json_object_object_add(o, k, v)) {
        json_object_put(v);
        json_object_put(o);
        return NULL;
    }
    return o;
}

static struct json_object *parse_body(const struct emu_req *q, struct emu_reply *r)
{
    struct json_object *o = json_tokener_parse(q->body_len ? q->body : "{}");
    if (!o || !json_object_is_type(o, json_type_object)) {
        json_object_put(o);
        ctl_error(r, 400, "the body must be a JSON object");
        return NULL;
    }
    return o;
}

static bool get_long(struct json_object *o, const char *k, long *v)
{
    struct json_object *x;
    if (!json_object_object_get_ex(o, k, &x))
        return true;
    if (!json_object_is_type(x, json_type_int))
        return false;
    *v = (long)json_object_get_int64(x);
    return true;
}

/* ---- failures ---- */

static const char *const mode_names[] = {"status", "truncate", "short", "garbage", "reset", "hang"};

bool emu_ctl_take_failure(struct emu_server *s, const char *path, struct fail_rule *out)
{
    bool hit = false;
    pthread_mutex_lock(&s->mu);
    for (size_t i = 0; i < s->nrules; i++) {
        struct fail_rule *f = &s->rules[i];
        bool match = f->path[0] ? strncmp(path, f->path, strlen(f->path)) == 0
                                : strncmp(path, "/v4/", 4) == 0;
        if (!match)
            continue;
        *out = *f;
        hit = true;
        s->injected++;
        if (--f->count == 0) {
            memmove(f, f + 1, (s->nrules - i - 1) * sizeof *f);
            s->nrules--;
        }
        break;
    }
    pthread_mutex_unlock(&s->mu);
    return hit;
}

static struct json_object *rules_json(struct emu_server *s)
{
    struct json_object *a = json_object_new_array();
    for (size_t i = 0; a && i < s->nrules; i++) {
        const struct fail_rule *f = &s->rules[i];
        struct json_object *o = json_object_new_object();
        o = obj_add(o, "count", json_object_new_int64(f->count));
        o = obj_add(o, "mode", json_object_new_string(mode_names[f->mode]));
        o = obj_add(o, "status", json_object_new_int64(f->status));
        if (f->retry_after >= 0)
            o = obj_add(o, "retry_after", json_object_new_int64(f->retry_after));
        o = obj_add(o, "path", json_object_new_string(f->path));
        if (!o || json_object_array_add(a, o)) {
            json_object_put(o);
            json_object_put(a);
            return NULL;
        }
    }
    return a;
}

static void ctl_fail(struct emu_server *s, const struct emu_req *q, struct emu_reply *r)
{
    if (strcmp(q->method, "DELETE") == 0) {
        pthread_mutex_lock(&s->mu);
        s->nrules = 0;
        pthread_mutex_unlock(&s->mu);
        ctl_json(r, obj_add(json_object_new_object(), "pending", json_object_new_array()));
        return;
    }
    if (strcmp(q->method, "GET") == 0) {
        pthread_mutex_lock(&s->mu);
        struct json_object *a = rules_json(s);
        pthread_mutex_unlock(&s->mu);
        ctl_json(r, obj_add(json_object_new_object(), "pending", a));
        return;
    }
    struct json_object *o = parse_body(q, r), *x;
    if (!o)
        return;
    struct fail_rule f = {.count = 1, .status = 500, .retry_after = -1, .mode = FM_STATUS};
    long status = 500;
    if (!get_long(o, "count", &f.count) || !get_long(o, "status", &status) ||
        !get_long(o, "retry_after", &f.retry_after) || f.count < 1 || status < 400 ||
        status > 599) {
        ctl_error(r, 400, "count must be >= 1, status 400-599, retry_after seconds");
        goto out;
    }
    f.status = (unsigned)status;
    if (json_object_object_get_ex(o, "mode", &x)) {
        const char *m = json_object_get_string(x);
        size_t i = 0;
        while (i < sizeof mode_names / sizeof mode_names[0] && strcmp(m, mode_names[i]) != 0)
            i++;
        if (i == sizeof mode_names / sizeof mode_names[0]) {
            ctl_error(r, 400, "mode must be status, truncate, short, garbage, reset or hang");
            goto out;
        }
        f.mode = (enum fail_mode)i;
    }
    if (json_object_object_get_ex(o, "path", &x)) {
        const char *p = json_object_get_string(x);
        if (strlen(p) >= sizeof f.path) {
            ctl_error(r, 400, "path too long");
            goto out;
        }
        snprintf(f.path, sizeof f.path, "%s", p);
    }
    pthread_mutex_lock(&s->mu);
    struct fail_rule *p = realloc(s->rules, (s->nrules + 1) * sizeof *p);
    if (p) {
        s->rules = p;
        s->rules[s->nrules++] = f;
    }
    struct json_object *a = p ? rules_json(s) : NULL;
    pthread_mutex_unlock(&s->mu);
    if (!p)
        ctl_error(r, 500, "out of memory");
    else
        ctl_json(r, obj_add(json_object_new_object(), "pending", a));
out:
    json_object_put(o);
}

static void ctl_latency(struct emu_server *s, const struct emu_req *q, struct emu_reply *r)
{
    struct json_object *o = parse_body(q, r);
    if (!o)
        return;
    long ms = 0;
    if (!get_long(o, "ms", &ms) || ms < 0 || ms > 600000) {
        ctl_error(r, 400, "ms must be 0-600000");
    } else {
        pthread_mutex_lock(&s->mu);
        s->latency_ms = ms;
        pthread_mutex_unlock(&s->mu);
        ctl_json(r, obj_add(json_object_new_object(), "ms", json_object_new_int64(ms)));
    }
    json_object_put(o);
}

/* ---- request log and counters ---- */

void emu_ctl_record(struct emu_server *s, const char *method, const char *path, unsigned status,
                    enum req_kind kind)
{
    char *copy = strdup(path);
    pthread_mutex_lock(&s->mu);
    s->requests++;
    s->kinds[kind]++;
    for (size_t i = 0; i < MAX_STATUS_KINDS; i++) {
        if (s->status_code[i] == status || s->status_count[i] == 0) {
            s->status_code[i] = status;
            s->status_count[i]++;
            break;
        }
    }
    if (copy && s->nlog == s->caplog) {
        if (s->caplog >= LOG_MAX) {
            /* Full: the oldest half goes. */
            size_t drop = s->nlog / 2;
            for (size_t i = 0; i < drop; i++)
                free(s->log[i].path);
            memmove(s->log, s->log + drop, (s->nlog - drop) * sizeof *s->log);
            s->nlog -= drop;
            s->log_dropped += (long)drop;
        } else {
            size_t cap = s->caplog ? 2 * s->caplog : 256;
            struct log_entry *p = realloc(s->log, cap * sizeof *p);
            if (p) {
                s->log = p;
                s->caplog = cap;
            }
        }
    }
    if (copy && s->nlog < s->caplog) {
        struct log_entry *e = &s->log[s->nlog++];
        snprintf(e->method, sizeof e->method, "%s", method);
        e->path = copy;
        e->status = status;
        copy = NULL;
    }
    pthread_mutex_unlock(&s->mu);
    free(copy);
}

static void clear_log(struct emu_server *s)
{
    for (size_t i = 0; i < s->nlog; i++)
        free(s->log[i].path);
    s->nlog = 0;
    s->log_dropped = 0;
}

static void ctl_requests(struct emu_server *s, const struct emu_req *q, struct emu_reply *r)
{
    if (strcmp(q->method, "DELETE") == 0) {
        pthread_mutex_lock(&s->mu);
        clear_log(s);
        pthread_mutex_unlock(&s->mu);
        ctl_json(r, json_object_new_array());
        return;
    }
    /* Written by hand: the log can hold many entries. */
    pthread_mutex_lock(&s->mu);
    struct jbuf *b = &r->body;
    emu_jb_add(b, "[", 1);
    for (size_t i = 0; i < s->nlog; i++) {
        const struct log_entry *e = &s->log[i];
        if (i)
            emu_jb_add(b, ",", 1);
        emu_jb_indent(b, 1);
        emu_jb_puts(b, b->pretty ? "{\"method\": " : "{\"method\":");
        emu_jb_str(b, e->method, strlen(e->method));
        emu_jb_puts(b, b->pretty ? ", \"path\": " : ",\"path\":");
        emu_jb_str(b, e->path, strlen(e->path));
        emu_jb_printf(b, b->pretty ? ", \"status\": %u}" : ",\"status\":%u}", e->status);
    }
    if (s->nlog)
        emu_jb_indent(b, 0);
    emu_jb_add(b, "]", 1);
    pthread_mutex_unlock(&s->mu);
    r->status = 200;
}

static void ctl_stats(struct emu_server *s, struct emu_reply *r)
{
    static const char *const kind_names[K_COUNT] = {
        "token", "get", "values_get", "batch_get", "update", "batch_update", "other"};
    long issued, refused;
    emu_auth_stats(s->auth, &issued, &refused);
    struct json_object *o = json_object_new_object(), *by_status = json_object_new_object(),
                       *by_kind = json_object_new_object(), *sheets = json_object_new_array();
    pthread_mutex_lock(&s->mu);
    o = obj_add(o, "requests", json_object_new_int64(s->requests));
    for (size_t i = 0; i < MAX_STATUS_KINDS && s->status_count[i]; i++) {
        char code[16];
        snprintf(code, sizeof code, "%u", s->status_code[i]);
        by_status = obj_add(by_status, code, json_object_new_int64(s->status_count[i]));
    }
    for (size_t i = 0; i < K_COUNT; i++)
        by_kind = obj_add(by_kind, kind_names[i], json_object_new_int64(s->kinds[i]));
    o = obj_add(o, "by_status", by_status);
    o = obj_add(o, "by_kind", by_kind);
    o = obj_add(o, "injected_failures", json_object_new_int64(s->injected));
    o = obj_add(o, "pending_failures", json_object_new_int64((int64_t)s->nrules));
    o = obj_add(o, "latency_ms", json_object_new_int64(s->latency_ms));
    o = obj_add(o, "logged_requests", json_object_new_int64((int64_t)s->nlog));
    pthread_mutex_unlock(&s->mu);
    o = obj_add(o, "tokens_issued", json_object_new_int64(issued));
    o = obj_add(o, "tokens_refused", json_object_new_int64(refused));
    pthread_rwlock_rdlock(&s->book->lock);
    for (size_t i = 0; sheets && i < s->book->ntabs; i++) {
        const struct emu_tab *t = s->book->tabs[i];
        struct json_object *e = json_object_new_object();
        e = obj_add(e, "title", json_object_new_string(t->title));
        e = obj_add(e, "sheet_id", json_object_new_int64(t->sheet_id));
        e = obj_add(e, "data_rows", json_object_new_int64((int64_t)t->nrows));
        e = obj_add(e, "row_count", json_object_new_int64(t->row_count));
        e = obj_add(e, "column_count", json_object_new_int64(t->col_count));
        if (!e || json_object_array_add(sheets, e)) {
            json_object_put(e);
            json_object_put(sheets);
            sheets = NULL;
        }
    }
    pthread_rwlock_unlock(&s->book->lock);
    ctl_json(r, obj_add(o, "sheets", sheets));
}

/* ---- load ---- */

static void ctl_load(struct emu_server *s, const struct emu_req *q, const char *file,
                     struct emu_reply *r)
{
    char err[512];
    struct emu_book *b = s->book;
    const char *ctype = emu_req_header(q, "Content-Type");
    const char *typed = emu_req_arg(q, "typed");
    if (!file) {
        ctl_error(r, 400, "empty body: send the CSV (or a JSON workbook)");
        return;
    }
    if (ctype && strncmp(ctype, "application/json", 16) == 0) {
        struct json_object *doc = json_object_from_file(file);
        struct emu_book tmp;
        if (!doc) {
            ctl_error(r, 400, "the body is not valid JSON");
            return;
        }
        if (emu_book_init(&tmp, b->id)) {
            json_object_put(doc);
            ctl_error(r, 500, "out of memory");
            return;
        }
        if (emu_book_load_json(&tmp, doc, err, sizeof err)) {
            json_object_put(doc);
            emu_book_cleanup(&tmp);
            ctl_error(r, 400, err);
            return;
        }
        json_object_put(doc);
        pthread_rwlock_wrlock(&b->lock);
        struct emu_tab **tabs = b->tabs;
        size_t ntabs = b->ntabs;
        b->tabs = tmp.tabs;
        b->ntabs = tmp.ntabs;
        tmp.tabs = tabs;
        tmp.ntabs = ntabs;
        char *t = b->title, *l = b->locale, *z = b->time_zone;
        b->title = tmp.title;
        b->locale = tmp.locale;
        b->time_zone = tmp.time_zone;
        tmp.title = t;
        tmp.locale = l;
        tmp.time_zone = z;
        size_t n = b->ntabs;
        pthread_rwlock_unlock(&b->lock);
        emu_book_cleanup(&tmp);
        log_info("loaded a JSON workbook (%zu tabs)", n);
        ctl_stats(s, r);
        return;
    }

    char title[256];
    const char *sheet = emu_req_arg(q, "sheet");
    pthread_rwlock_rdlock(&b->lock);
    snprintf(title, sizeof title, "%s", sheet ? sheet : b->ntabs ? b->tabs[0]->title : "Sheet1");
    long next_id = 0;
    for (size_t i = 0; i < b->ntabs; i++)
        if (b->tabs[i]->sheet_id >= next_id)
            next_id = b->tabs[i]->sheet_id + 1;
    pthread_rwlock_unlock(&b->lock);
    struct emu_tab *t = emu_tab_new(title, next_id);
    if (!t) {
        ctl_error(r, 500, "out of memory");
        return;
    }
    bool as_typed = typed && (strcmp(typed, "1") == 0 || strcmp(typed, "true") == 0);
    if (emu_tab_load_csv(t, file, as_typed, err, sizeof err)) {
        emu_tab_free(t);
        ctl_error(r, 400, err);
        return;
    }
    size_t rows = t->nrows;
    pthread_rwlock_wrlock(&b->lock);
    int rc = emu_book_put_tab(b, t); /* replaces the tab of that title, keeping its id */
    pthread_rwlock_unlock(&b->lock);
    if (rc) {
        emu_tab_free(t);
        ctl_error(r, 500, "out of memory");
        return;
    }
    log_info("loaded %zu rows into tab %s", rows, title);
    ctl_stats(s, r);
}

/* ---- dispatch ---- */

void emu_ctl_dispatch(struct emu_server *s, const struct emu_req *q, const char *load_file,
                      struct emu_reply *r)
{
    const char *what = q->path + strlen("/_emulator/");
    const char *m = q->method;
    bool post = strcmp(m, "POST") == 0, get = strcmp(m, "GET") == 0, del = strcmp(m, "DELETE") == 0;
    if (strcmp(what, "fail") == 0 && (post || get || del)) {
        ctl_fail(s, q, r);
    } else if (strcmp(what, "latency") == 0 && post) {
        ctl_latency(s, q, r);
    } else if (strcmp(what, "expire-tokens") == 0 && post) {
        emu_auth_expire_all(s->auth);
        ctl_json(r, obj_add(json_object_new_object(), "expired", json_object_new_boolean(1)));
    } else if (strcmp(what, "requests") == 0 && (get || del)) {
        ctl_requests(s, q, r);
    } else if (strcmp(what, "stats") == 0 && get) {
        ctl_stats(s, r);
    } else if (strcmp(what, "load") == 0 && post) {
        ctl_load(s, q, load_file, r);
    } else if (strcmp(what, "reset") == 0 && post) {
        pthread_mutex_lock(&s->mu);
        s->nrules = 0;
        s->latency_ms = 0;
        clear_log(s);
        s->requests = s->injected = 0;
        memset(s->kinds, 0, sizeof s->kinds);
        memset(s->status_code, 0, sizeof s->status_code);
        memset(s->status_count, 0, sizeof s->status_count);
        pthread_mutex_unlock(&s->mu);
        ctl_json(r, obj_add(json_object_new_object(), "reset", json_object_new_boolean(1)));
    } else if (strcmp(what, "health") == 0 && get) {
        ctl_json(r, obj_add(json_object_new_object(), "status", json_object_new_string("ok")));
    } else {
        ctl_error(r, 404, "unknown control endpoint or method; see tests/emulator/README.md");
    }
}

void emu_ctl_cleanup(struct emu_server *s)
{
    clear_log(s);
    free(s->log);
    free(s->rules);
}
