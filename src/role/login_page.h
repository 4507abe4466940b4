/*
 * The first-party login's HTML pages (issue 14 item 6) as pure functions of
 * plain values, so a test sees every byte a browser would: the page, its
 * Content-Security-Policy and the fixed sentence of each error code. The endpoints that serve them are in
 * login_page.c beside these; the POSTs the forms send are not theirs.
 */
#ifndef TG_LOGIN_PAGE_H
#define TG_LOGIN_PAGE_H

#include "base/tokengate.h"

enum login_page_kind {
	LOGIN_PAGE_PASSWORD, /* GET /v1/login: email and password */
	LOGIN_PAGE_OTP,      /* GET /v1/login/otp: the second step's code */
};

/* Where the password form's tenant comes from. */
enum login_page_tenant {
	LOGIN_TENANT_PINNED, /* the location's TOKENGATE_TENANT: the form carries none */
	LOGIN_TENANT_HIDDEN, /* ?tenant=: a hidden field */
	LOGIN_TENANT_ASKED,  /* neither: a field the user fills in */
};

/* What a page shows; every string is borrowed and HTML-escaped where it lands. NULL: none. */
struct login_page_view {
	enum login_page_kind kind;
	enum login_page_tenant tenant_from;
	const char *tenant;     /* LOGIN_TENANT_HIDDEN's value */
	const char *title;      /* the tenant's login_title; NULL: "Sign in" */
	const char *stylesheet; /* the tenant's login_stylesheet, loaded after the gateway's own */
	const char *return_to;  /* already passed login_return_to_ok (role/login.h) */
	const char *error;      /* the ?error= code; an unknown one gets a generic sentence */
};

/* The page, malloc'd. */
char *login_page_html(const struct login_page_view *v);
/*
 * The page's Content-Security-Policy, malloc'd: no script, no frame, styles
 * only from this origin and stylesheet's when it is an https:// URL, forms
 * only to this origin and return_to's when it is an absolute URL (browsers
 * hold the login's redirect to form-action too; return_to has passed
 * login_return_to_ok, so it is one of the tenant's origins).
 */
char *login_page_csp(const char *stylesheet, const char *return_to);
/* The sentence shown for an error code (credentials, otp, throttled, expired); never NULL. */
const char *login_error_message(const char *code);
/* The gateway's own stylesheet, served at GET /v1/login.css. */
extern const char login_page_css[];

#endif
