#ifndef SHEETSYNC_HANDLERS_H
#define SHEETSYNC_HANDLERS_H

#include "server/request.h"

/* One function per endpoint, one file per resource; wired to paths and
 * methods in server/routes.c. Each returns 0 once a reply is set, -1 on an
 * internal failure (see server/request.h). */

/* handlers/health.c */
int h_healthz(struct http_req *r);
int h_readyz(struct http_req *r);

/* handlers/trends.c */
int h_trends_weekly(struct http_req *r);

/* handlers/issues.c */
int h_issues_list(struct http_req *r);
int h_issue_get(struct http_req *r);

/* handlers/vehicles.c */
int h_vehicles_list(struct http_req *r);

/* handlers/quality.c */
int h_quality_list(struct http_req *r);

/* handlers/syncs.c */
int h_syncs_list(struct http_req *r);
int h_syncs_create(struct http_req *r);

/* handlers/metrics.c */
int h_metrics(struct http_req *r);

/* handlers/dashboard.c */
int h_dashboard(struct http_req *r);
int h_asset(struct http_req *r);
int h_openapi(struct http_req *r);

/* handlers/webhook.c */
int h_webhook_sheets(struct http_req *r);
/* Counts a notification the server refused as too large (413) before the
 * handler ran: the route's too_large hook. */
void h_webhook_too_large(struct http_req *r);

#endif
