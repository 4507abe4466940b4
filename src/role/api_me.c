/*
 * A user's own sessions (issue 14 item 7; OWASP ASVS 5.0 V7.4.3, V7.5.2):
 * GET /v1/me/sessions, POST /v1/me/sessions/{id}/logout and POST
 * /v1/me/logout-others, authenticated by the caller's gateway token or
 * session cookie (api_self_token, with the authorizer's CSRF rule for a
 * cookie on POST). Never shows or ends another user's session, and never
 * says one exists: another user's id is answered as an unknown one.
 */
#include "role/api_internal.h"

#include "base/metrics.h"
#include "store/store.h"

#include <json.h>
#include <stdlib.h>
#include <string.h>

static const struct api_refusal bad_cursor = {
	TG_ERR_INVALID, 400, "invalid_request",
	"cursor is not a next_cursor of this listing; start again without it",
};

/* What every /v1/me call holds: the decision on the caller's token, its session, a listing page. */
struct me_call {
	struct authz_decision d;
	struct tg_session *me;
	struct store_session_page page;
	char *cursor;
};

/*
 * The caller and its own session record, as the authorizer just found it
 * live: false with the refusal answered (401 when it ended in between).
 * me_end(m) either way.
 */
static bool
me_begin(struct api_ctx *c, struct me_call *m)
{
	enum tg_err rc;

	memset(m, 0, sizeof(*m));
	if (!api_self_token(c, 0, &m->d))
		return false;
	rc = store_session_get(c->env->store, m->d.sid, &m->me);
	if (rc == TG_OK && session_is_live(m->me, c->env->now))
		return true;
	if (rc == TG_OK || rc == TG_ERR_NOT_FOUND)
		api_error(c, 401, "invalid_token", "the session has ended; log in again");
	else
		api_fail(c, rc, "reading the caller's session");
	return false;
}

static void
me_end(struct me_call *m)
{
	store_session_page_fini(&m->page);
	free(m->cursor);
	session_free(m->me);
	authz_decision_fini(&m->d);
}

/* The next page of the caller's live sessions after m->cursor, into m->page. */
static enum tg_err
me_page(struct api_ctx *c, struct me_call *m)
{
	store_session_page_fini(&m->page);
	memset(&m->page, 0, sizeof(m->page));
	return store_session_list(c->env->store, m->me->tenant, m->me->user, m->cursor,
				  STORE_LIST_LIMIT_MAX, c->env->now, &m->page);
}

/*
 * When the session was last used, as far as the record knows: its creation,
 * its last refresh, and (with an idle timeout, which moves idle_expires with
 * each access token handed out) the last access token.
 */
static int64_t
last_used(const struct tg_session *s)
{
	int64_t t = s->created;

	if (s->last_refreshed > t)
		t = s->last_refreshed;
	if (s->idle_timeout > 0 && s->idle_expires - s->idle_timeout > t)
		t = s->idle_expires - s->idle_timeout;
	return t;
}

/* What a user is shown of a session: no tenant claims, no bound address. */
static struct json_object *
session_view(const struct tg_session *s, const char *current)
{
	struct json_object *o = json_object_new_object(), *amr = json_object_new_array();

	for (size_t i = 0; i < s->amr.n; i++)
		json_object_array_add(amr, json_object_new_string(s->amr.v[i]));
	json_object_object_add(o, "session_id", json_object_new_string(s->id));
	json_object_object_add(o, "created", json_object_new_int64(s->created));
	json_object_object_add(o, "last_used", json_object_new_int64(last_used(s)));
	json_object_object_add(o, "last_refreshed", s->last_refreshed
				 ? json_object_new_int64(s->last_refreshed) : NULL);
	json_object_object_add(o, "expires", json_object_new_int64(session_deadline(s)));
	json_object_object_add(o, "auth_time", json_object_new_int64(s->auth_time));
	json_object_object_add(o, "amr", amr);
	json_object_object_add(o, "current", json_object_new_boolean(strcmp(s->id, current) == 0));
	return o;
}

/* The query's cursor (NULL when none): false with 400 answered for anything else in it. */
static bool
list_cursor(struct api_ctx *c, char **cursor)
{
	static const char *const fields[] = { "cursor", NULL };
	const char *q = c->req->query_string ? c->req->query_string : "";
	enum tg_err rc;

	*cursor = NULL;
	if (!api_form_ok(c, q, strlen(q)))
		return false;
	if (http_form_has_other(q, strlen(q), fields)) {
		api_error(c, 400, "invalid_request", "this listing takes only cursor (a next_cursor "
			  "it answered)");
		return false;
	}
	rc = http_form_get(q, strlen(q), "cursor", cursor);
	if (rc == TG_OK || rc == TG_ERR_NOT_FOUND)
		return true;
	api_error(c, 400, "invalid_request", "cursor is not a next_cursor of this listing");
	return false;
}

/*
 * GET /v1/me/sessions[?cursor=C]: the caller's live sessions, a page of at
 * most STORE_LIST_LIMIT_MAX; next_cursor names the next page, null on the last.
 */
void
api_me_sessions(struct api_ctx *c)
{
	struct json_object *arr;
	struct me_call m;

	if (me_begin(c, &m) && list_cursor(c, &m.cursor) &&
	    api_rc_ok(c, me_page(c, &m), &bad_cursor, "listing the caller's sessions")) {
		arr = json_object_new_array();
		for (size_t i = 0; i < m.page.n; i++)
			json_object_array_add(arr, session_view(m.page.v[i], m.me->id));
		api_json_page(c, arr, m.page.next_cursor);
	}
	me_end(&m);
}

/*
 * POST /v1/me/sessions/{id}/logout: one of the caller's sessions (its own
 * too). Another user's or tenant's id is 404 like an unknown one, never 403,
 * so ids cannot be probed; an ended one of the caller's is 204 again.
 */
void
api_me_session_logout(struct api_ctx *c)
{
	struct tg_session *s = NULL;
	struct me_call m;
	char *id = NULL;
	enum tg_err rc;

	if (!me_begin(c, &m))
		goto out;
	id = api_arg(c, 0);
	rc = store_session_get(c->env->store, id, &s);
	if (rc == TG_OK &&
	    (strcmp(s->tenant, m.me->tenant) != 0 || strcmp(s->user, m.me->user) != 0))
		rc = TG_ERR_NOT_FOUND;
	if (rc == TG_OK)
		rc = store_session_revoke(c->env->store, m.me->tenant, id, c->env->now);
	if (rc == TG_OK) {
		metrics_add(METRICS_SESSION_REVOKED);
		api_no_content(c);
	} else if (rc == TG_ERR_NOT_FOUND) {
		api_error(c, 404, "not_found", "you have no such session (GET /v1/me/sessions "
			  "lists yours)");
	} else {
		api_fail(c, rc, "ending the session");
	}
out:
	session_free(s);
	free(id);
	me_end(&m);
}

/*
 * Ends each live session of page but keep; *ended counts them. A session
 * that ended in between (TG_ERR_NOT_FOUND after a sweep) is no failure.
 */
static enum tg_err
end_page(struct api_ctx *c, const struct store_session_page *page, const char *keep,
	 size_t *ended)
{
	enum tg_err rc = TG_OK;

	for (size_t i = 0; rc == TG_OK && i < page->n; i++) {
		if (strcmp(page->v[i]->id, keep) == 0)
			continue;
		rc = store_session_revoke(c->env->store, page->v[i]->tenant, page->v[i]->id,
					  c->env->now);
		*ended += rc == TG_OK;
		if (rc == TG_ERR_NOT_FOUND)
			rc = TG_OK;
	}
	return rc;
}

/*
 * POST /v1/me/logout-others: every live session of the caller's user but
 * the caller's own, one revocation (a short durable transaction) each, page
 * by page: a user's sessions are few, and no transaction grows with them. A
 * failure part way answers 503/500 with the sessions ended so far staying
 * ended; calling again finishes the rest.
 */
void
api_me_logout_others(struct api_ctx *c)
{
	struct me_call m;
	size_t ended = 0;
	enum tg_err rc;

	if (!me_begin(c, &m))
		goto out;
	do {
		rc = me_page(c, &m);
		if (rc == TG_OK)
			rc = end_page(c, &m.page, m.me->id, &ended);
		free(m.cursor);
		m.cursor = rc == TG_OK && m.page.next_cursor ? tg_xstrdup(m.page.next_cursor) : NULL;
	} while (m.cursor);
	metrics_add_n(METRICS_SESSION_REVOKED, ended);
	if (rc == TG_OK)
		api_no_content(c);
	else
		api_fail(c, rc, "ending the caller's other sessions");
out:
	me_end(&m);
}
