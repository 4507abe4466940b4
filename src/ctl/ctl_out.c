/*
 * What commands print on stdout: pretty JSON, times, and text tables whose
 * columns fit their longest cell. Only formats what it is given: never reads
 * the store, and a caller passes no secret through it.
 */
#include "ctl/ctl.h"

#include <json.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

void
ctl_print_json(struct json_object *o_owned)
{
	puts(json_object_to_json_string_ext(o_owned,
					    JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
						    JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o_owned);
}

void
ctl_format_time(int64_t t, char *buf, size_t size)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (!gmtime_r(&tt, &tm) || strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(buf, size, "%lld", (long long)t);
}

void
ctl_table_init(struct ctl_table *t, size_t ncols)
{
	t->ncols = ncols;
	t->cells = NULL;
	t->ncells = 0;
}

void
ctl_table_row(struct ctl_table *t, ...)
{
	va_list ap;

	t->cells = tg_xrealloc(t->cells, (t->ncells + t->ncols) * sizeof(*t->cells));
	va_start(ap, t);
	for (size_t i = 0; i < t->ncols; i++) {
		const char *s = va_arg(ap, const char *);

		t->cells[t->ncells++] = tg_xstrdup(s ? s : "-");
	}
	va_end(ap);
}

void
ctl_table_print(const struct ctl_table *t)
{
	size_t *width = tg_xcalloc(t->ncols, sizeof(*width));

	for (size_t i = 0; i < t->ncells; i++) {
		size_t n = strlen(t->cells[i]);

		if (n > width[i % t->ncols])
			width[i % t->ncols] = n;
	}
	for (size_t i = 0; i < t->ncells; i++) {
		bool is_last = i % t->ncols == t->ncols - 1;

		if (is_last)
			printf("%s\n", t->cells[i]);
		else
			printf("%-*s  ", (int)width[i % t->ncols], t->cells[i]);
	}
	free(width);
}

void
ctl_table_fini(struct ctl_table *t)
{
	for (size_t i = 0; i < t->ncells; i++)
		free(t->cells[i]);
	free(t->cells);
	t->cells = NULL;
	t->ncells = 0;
}
