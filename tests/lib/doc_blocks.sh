# doc_blocks DOC DIR: splits the Markdown file DOC into its fenced blocks, for the tests that
# run what the docs show as written. DIR/block.N holds the Nth block's text, DIR/block.N.kind
# its language (the info string's first word, "" when none), DIR/block.N.info the whole info
# string and DIR/block.N.line the line of DOC the block starts on. Prints the number of blocks.
# Never edits DOC, and knows nothing of what a block means: each test reads the kinds it runs.
doc_blocks() {
	local doc=$1 dir=$2
	awk -v dir="$dir" '
		/^```/ && !in_block { in_block = 1; n++; f = dir "/block." n
			info = substr($0, 4); kind = info; sub(/[ \t].*/, "", kind)
			print kind > (f ".kind"); print info > (f ".info"); print NR > (f ".line")
			close(f ".kind"); close(f ".info"); close(f ".line")
			printf "" > f; next }
		/^```[ \t]*$/ && in_block { in_block = 0; close(f); next }
		in_block { print > f }
		END { print n + 0; if (in_block) exit 1 }' "$doc"
}
