/*
 * What tokengatectl says on stderr when something fails, and the exit code
 * that goes with it (0 ok, 1 rejected or not found, 2 usage or environment).
 * Only stderr: it never writes stdout, parses arguments or opens the store.
 */
#include "ctl/ctl.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

__attribute__((format(printf, 1, 0))) static void
vmessage(const char *fmt, va_list ap)
{
	fputs("tokengatectl: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

int
ctl_usage_error(const char *usage, const char *fmt, ...)
{
	const char *nl = strchr(usage, '\n');
	int synopsis = nl ? (int)(nl - usage) : (int)strlen(usage);
	va_list ap;

	va_start(ap, fmt);
	vmessage(fmt, ap);
	va_end(ap);
	/* The synopsis line only: the whole text would bury the message. */
	fprintf(stderr, "%.*s\n(add --help for the full usage)\n", synopsis, usage);
	return CTL_EXIT_USAGE;
}

int
ctl_fail(int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmessage(fmt, ap);
	va_end(ap);
	return code;
}

int
ctl_exit_for(enum tg_err rc)
{
	switch (rc) {
	case TG_OK:
		return CTL_EXIT_OK;
	case TG_ERR_INVALID:
	case TG_ERR_REJECTED:
	case TG_ERR_NOT_FOUND:
	case TG_ERR_EXISTS:
	case TG_ERR_WEAK_KEY:
	case TG_ERR_UNSUPPORTED:
	case TG_ERR_TOO_LARGE:
	case TG_ERR_DENIED:
	case TG_ERR_LIMITED:
	case TG_ERR_RANGE:
		return CTL_EXIT_REJECTED;
	case TG_ERR_CRYPTO:
	case TG_ERR_DB:
	case TG_ERR_IO:
	case TG_ERR_BUSY:
		break;
	}
	return CTL_EXIT_USAGE;
}

int
ctl_tenant_not_found(const char *id)
{
	return ctl_fail(CTL_EXIT_REJECTED,
			"no tenant %s (see `tokengatectl tenant list`, or create it with "
			"`tokengatectl tenant add %s`)", id, id);
}

int
ctl_no_such(const char *tenant, const char *what, const char *group, const char *id)
{
	return ctl_fail(CTL_EXIT_REJECTED, "tenant %s has no %s %s (see `tokengatectl %s list %s`)",
			tenant, what, id, group, tenant);
}

int
ctl_change_result(enum tg_err err, const char *tenant, const char *what, const char *group,
		  const char *verb, const char *id)
{
	if (err == TG_ERR_NOT_FOUND)
		return ctl_no_such(tenant, what, group, id);
	if (err != TG_OK)
		return ctl_fail(ctl_exit_for(err), "cannot %s %s %s: %s", verb, what, id,
				tg_err_str(err));
	return CTL_EXIT_OK;
}
