/* The route table: every endpoint of the API at a glance (contract §5).
 * Add a row to add an endpoint; the handler lives in handlers/<resource>.c. */
#include <stdio.h>
#include <string.h>

#include "handlers/handlers.h"
#include "server/http_internal.h"

const struct http_route http_routes[] = {
    {.path = "/healthz", .method = "GET", .handler = h_healthz, .auth = HTTP_AUTH_NONE},
    {.path = "/readyz", .method = "GET", .handler = h_readyz, .auth = HTTP_AUTH_NONE},
    {.path = "/trends/weekly", .method = "GET", .handler = h_trends_weekly, .auth = HTTP_AUTH_READ},
    {.path = "/issues", .method = "GET", .handler = h_issues_list, .auth = HTTP_AUTH_READ},
    {.path = "/issues/{number}", .method = "GET", .handler = h_issue_get, .auth = HTTP_AUTH_READ},
    {.path = "/vehicles", .method = "GET", .handler = h_vehicles_list, .auth = HTTP_AUTH_READ},
    {.path = "/quality", .method = "GET", .handler = h_quality_list, .auth = HTTP_AUTH_READ},
    {.path = "/webhooks/sheets",
     .method = "POST",
     .handler = h_webhook_sheets,
     .auth = HTTP_AUTH_NONE, /* the signed token is the credential */
     .max_body = 16384,
     .too_large = h_webhook_too_large},
    {.path = "/syncs", .method = "GET", .handler = h_syncs_list, .auth = HTTP_AUTH_READ},
    {.path = "/syncs",
     .method = "POST",
     .handler = h_syncs_create,
     .auth = HTTP_AUTH_ADMIN,
     .max_body = 4096},
    {.path = "/metrics", .method = "GET", .handler = h_metrics, .auth = HTTP_AUTH_READ},
    {.path = "/openapi.yaml", .method = "GET", .handler = h_openapi, .auth = HTTP_AUTH_NONE},
    {.path = "/", .method = "GET", .handler = h_dashboard, .auth = HTTP_AUTH_NONE},
    {.path = "/assets/{name}", .method = "GET", .handler = h_asset, .auth = HTTP_AUTH_NONE},
};
const size_t http_nroutes = sizeof http_routes / sizeof *http_routes;

/* Matches `path` against `pattern` segment by segment. */
static bool path_matches(const char *pattern, const char *path, const char **param,
                         size_t *paramlen)
{
    const char *p = pattern, *s = path;
    while (*p && *s) {
        if (*p != '/' || *s != '/')
            return false;
        p++, s++;
        size_t plen = strcspn(p, "/"), slen = strcspn(s, "/");
        if (plen >= 2 && p[0] == '{' && p[plen - 1] == '}') {
            if (slen == 0)
                return false;
            *param = s;
            *paramlen = slen;
        } else if (plen != slen || memcmp(p, s, plen) != 0) {
            return false;
        }
        p += plen, s += slen;
    }
    return *p == '\0' && *s == '\0';
}

static bool method_matches(const char *route_method, const char *method)
{
    return strcmp(route_method, method) == 0 ||
           (strcmp(route_method, "GET") == 0 && strcmp(method, "HEAD") == 0);
}

static void allow_add(char *allow, size_t allowlen, const char *method)
{
    size_t n = strlen(allow);
    snprintf(allow + n, allowlen - n, "%s%s", n ? ", " : "", method);
}

enum http_match http_route_find(const char *method, const char *path,
                                const struct http_route **route, const char **param,
                                size_t *paramlen, char *allow, size_t allowlen)
{
    bool any = false;
    *route = NULL;
    *param = NULL;
    *paramlen = 0;
    allow[0] = '\0';
    for (size_t i = 0; i < http_nroutes; i++) {
        const char *pp = NULL;
        size_t pl = 0;
        if (!path_matches(http_routes[i].path, path, &pp, &pl))
            continue;
        /* OPTIONS is answered by the server for any route of the path. */
        if (!*route &&
            (method_matches(http_routes[i].method, method) || strcmp(method, "OPTIONS") == 0)) {
            *route = &http_routes[i];
            *param = pp;
            *paramlen = pl;
        }
        any = true;
        allow_add(allow, allowlen, http_routes[i].method);
        if (strcmp(http_routes[i].method, "GET") == 0)
            allow_add(allow, allowlen, "HEAD");
    }
    if (!any)
        return HTTP_MATCH_NO_PATH;
    allow_add(allow, allowlen, "OPTIONS");
    return *route ? HTTP_MATCH_OK : HTTP_MATCH_NO_METHOD;
}
