#!/bin/bash
# `make check-layers`: the layer rule of docs/architecture.md, kept by a machine. It reads the rule
# from the doc's table (so the doc cannot drift from what is checked), then fails on
#   - an include of another layer's header that the rule does not allow, or one that does not
#     name its folder, or a system header a layer may not use (<db.h>, <fcgiapp.h>);
#   - a call (an undefined symbol in an object, resolved against the other objects) that crosses
#     a layer the wrong way;
#   - a call cycle between files.
# Each finding names the file, the line and the rule. It reads files only and writes nothing.
#
# usage: check_layers.sh SRCDIR OBJDIR [DOC]
#   SRCDIR  the tree's src/; OBJDIR  where the build left src/'s objects (the build's src/);
#   DOC     the rule (default SRCDIR/../docs/architecture.md).
set -u
src=${1:?usage: check_layers.sh SRCDIR OBJDIR [DOC]}
obj=${2:?usage: check_layers.sh SRCDIR OBJDIR [DOC]}
doc=${3:-$src/../docs/architecture.md}
src=$(cd "$src" && pwd) && obj=$(cd "$obj" && pwd) || exit 2
status=0

complain() {
	echo "check-layers: $*" >&2
	status=1
}

# The doc's rule table: rows "| `layer/` | may use | system headers |", one per layer, and a row
# "| `tokengate.c` | ..." for the program above them all.
declare -A may use_sys
while IFS='|' read -r _ layer uses sys _; do
	layer=$(echo "$layer" | tr -d ' `/')
	# shellcheck disable=SC2086 # word splitting trims the cell
	may[$layer]=" $(echo $uses | tr -d '`/,') "
	use_sys[$layer]=$(echo "$sys" | tr -d '` ' | tr ',' ' ')
done < <(sed -n '/^<!-- layer rule: read by tests\/check_layers.sh -->$/,/^$/p' "$doc" |
	grep -E '^\| `[a-z_.]+/?` \|')
if [ "${#may[@]}" -lt 2 ]; then
	echo "check-layers: no layer table in $doc (the rule is the table after the line" \
		"'<!-- layer rule: read by tests/check_layers.sh -->')" >&2
	exit 2
fi
top=tokengate.c
rule() {
	# shellcheck disable=SC2086 # word splitting trims the list
	echo "rule: $1/ may use $(echo ${may[$1]} | sed 's/ /, /g') (docs/architecture.md)"
}

# A file's layer: its folder under src/, or the program itself at the top.
layer_of() {
	case $1 in
	*/*) echo "${1%%/*}" ;;
	*) echo "$top" ;;
	esac
}

# Every system header some layer owns: no other layer may include it.
declare -A sys_owner
for layer in "${!use_sys[@]}"; do
	for h in ${use_sys[$layer]}; do
		sys_owner[$h]=$layer
	done
done

# ------------------------------------------------------------------ includes
cd "$src" || exit 2
for f in */*.[ch] *.c; do
	[ -f "$f" ] || continue
	layer=$(layer_of "$f")
	if [ "$layer" != "$top" ] && [ -z "${may[$layer]+set}" ]; then
		complain "$f: folder $layer/ is not a layer of the rule (add it to docs/architecture.md)"
		continue
	fi
	while IFS=: read -r line inc; do
		case $inc in
		*'"'*)
			name=${inc#*\"}
			name=${name%%\"*}
			case $name in
			*/*) to=${name%%/*} ;;
			*)
				complain "$f:$line: #include \"$name\" does not name its folder (write \"$layer/$name\")"
				continue
				;;
			esac
			[ "$layer" = "$top" ] && continue
			case ${may[$layer]} in
			*" $to "*) ;;
			*) complain "$f:$line: includes $name, but $(rule "$layer")" ;;
			esac
			;;
		*'<'*)
			name=${inc#*<}
			name=${name%%>*}
			owner=${sys_owner[$name]:-}
			if [ -n "$owner" ] && [ "$owner" != "$layer" ]; then
				complain "$f:$line: includes <$name>, which only $owner/ may use (docs/architecture.md)"
			fi
			;;
		esac
	done < <(grep -nE '^[[:space:]]*#[[:space:]]*include' "$f" | sed -E 's/^([0-9]+):.*include[[:space:]]*/\1:/')
done

# ------------------------------------------------------------------ calls
# Objects whose source is in SRCDIR (a build directory may keep objects of files since removed).
# Automake names an object after its source, with a "prog-" prefix for per-program flags.
declare -A src_of
while read -r o; do
	rel=${o#"$obj"/}
	dir=$(dirname "$rel")
	base=$(basename "$rel" .o)
	for cand in "$dir/$base.c" "$dir/${base#*-}.c"; do
		cand=${cand#./}
		if [ -f "$src/$cand" ]; then
			src_of[$o]=$cand
			break
		fi
	done
done < <(find "$obj" -name '*.o' -not -path '*/tests/*' 2>/dev/null)
if [ "${#src_of[@]}" -eq 0 ]; then
	echo "check-layers: no objects of $src under $obj: build first (make)" >&2
	exit 2
fi

edges=$(mktemp)
trap 'rm -f "$edges"' EXIT
# One line per object and symbol: "D file symbol" (defined) or "U file symbol" (used).
for o in "${!src_of[@]}"; do
	nm "$o" 2>/dev/null | awk -v f="${src_of[$o]}" '
		$1 == "U" { print "U", f, $2; next }
		NF == 3 && $2 ~ /^[TDBRCGSV]$/ { print "D", f, $3 }'
done | awk '
	$1 == "D" { def[$3] = $2; next }
	{ use[++n] = $2 " " $3 }
	END { for (i = 1; i <= n; i++) { split(use[i], u, " "); if ((u[2] in def) && def[u[2]] != u[1]) print u[1], def[u[2]], u[2] } }' |
	sort -u >"$edges"

while read -r from to sym; do
	lf=$(layer_of "$from")
	lt=$(layer_of "$to")
	[ "$lf" = "$top" ] && continue
	case ${may[$lf]} in
	*" $lt "*) continue ;;
	esac
	# The first use in a function body (indented), not a declaration at the margin.
	line=$( (grep -nE "^[[:space:]].*\\b$sym\\b" "$src/$from" || grep -nE "\\b$sym\\b" "$src/$from") |
		head -1 | cut -d: -f1)
	complain "$from:${line:-?}: calls $sym ($to), but $(rule "$lf")"
done <"$edges"

# Call cycles among files: the strongly connected groups of the file graph (transitive closure;
# src/ has a few dozen files), each shown with the calls inside it, which are what to move.
cycles=$(awk '
	{ e[$1 SUBSEP $2] = e[$1 SUBSEP $2] (e[$1 SUBSEP $2] ? ", " : "") $3; r[$1 SUBSEP $2] = 1
	  f[$1] = 1; f[$2] = 1 }
	END {
		for (k in f) for (i in f) if ((i SUBSEP k) in r) for (j in f) if ((k SUBSEP j) in r) r[i SUBSEP j] = 1
		for (a in f) {
			if (a in done || !((a SUBSEP a) in r)) continue
			line = ""
			for (b in f) if ((a SUBSEP b) in r && (b SUBSEP a) in r) {
				done[b] = 1
				for (c in f) if (((b SUBSEP c) in e) && (a SUBSEP c) in r && (c SUBSEP a) in r)
					line = line sprintf("\n    %s -> %s (%s)", b, c, e[b SUBSEP c])
			}
			print line
		}
	}' "$edges")
if [ -n "$cycles" ]; then
	complain "files that call each other (a call cycle: move what both use into a file below them):$cycles"
fi

[ $status -eq 0 ] && echo "check-layers: ${#src_of[@]} objects, $(wc -l <"$edges") calls between files: every one follows the rule"
exit $status
