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

#endif
