/*
 * json_strict: a JSONTestSuite-style corpus (y_ must parse, n_ must not), one named case per
 * rejection rule with the sentence it must give, duplicate members compared after unescaping at
 * every depth, the depth cap, number ranges, and the values json-c builds from what gets through.
 */
#include "base/json_strict.h"

#include "../lib/exact.h"
#include "../lib/tap.h"

#include <json-c/json.h>

#include <math.h>
#include <stdint.h>
#include <time.h>

#define W_EMPTY "the document is empty"
#define W_EOF "the document ends before its value is complete"
#define W_EOF_VALUE "the document ends where a value was expected"
#define W_TRAILING "data follows the JSON value"
#define W_NUL "the document contains a NUL byte outside a string"
#define W_COMMENT "comments are not allowed in JSON"
#define W_SQUOTE "strings must be in double quotes, not single quotes"
#define W_VALUE "a value starts with a byte no JSON value starts with"
#define W_MISSING "a value is missing before a closing bracket"
#define W_ARR_COMMA "an array has a trailing comma"
#define W_OBJ_COMMA "an object has a trailing comma"
#define W_ARR_SEP "an array element is followed by neither a comma nor ']'"
#define W_OBJ_SEP "an object member is followed by neither a comma nor '}'"
#define W_NAME "an object member does not start with a double-quoted name"
#define W_COLON "an object member name is not followed by a colon"
#define W_LITERAL "a literal is not exactly true, false or null"
#define W_NAN "NaN and Infinity are not JSON numbers"
#define W_PLUS "a number has a leading plus sign"
#define W_DOT "a number starts with a bare decimal point"
#define W_MINUS "a minus sign is not followed by a digit"
#define W_ZERO "a number has a leading zero"
#define W_FRAC "a decimal point is not followed by a digit"
#define W_EXP "a number's exponent has no digits"
#define W_INT_RANGE "an integer is outside the 64-bit range"
#define W_DBL_RANGE "a number is too large for a double"
#define W_UNTERMINATED "a string is not terminated"
#define W_CONTROL "a string contains an unescaped control character"
#define W_UTF8 "a string is not valid UTF-8"
#define W_ESCAPE "a string contains an escape RFC 8259 does not define"
#define W_ESC_EOF "a string ends inside an escape"
#define W_HEX "a \\u escape is not followed by four hex digits"
#define W_HIGH "a \\u escape is an unpaired high surrogate"
#define W_LOW "a \\u escape is an unpaired low surrogate"
#define W_NAME_NUL "a member name contains U+0000"
#define W_DUP "an object has a duplicate member name"
#define W_DEPTH "arrays and objects nest deeper than 32 levels"

/* Every document sits in a buffer of exactly its length, so ASan catches any read past the end. */
static enum tg_err
parse_exact(const char *doc, size_t len, struct json_object **out, struct tg_why *why)
{
	char *copy = exact_copy(doc, len);
	enum tg_err rc = json_strict_parse(copy, len, out, why);

	free(copy);
	return rc;
}

/* Refused with exactly this sentence, leaving *out alone. */
static void
refused(const char *name, const char *doc, size_t len, const char *want)
{
	struct json_object *sentinel = json_object_new_object(), *o = sentinel;
	struct tg_why why = { "" };
	enum tg_err rc = parse_exact(doc, len, &o, &why);

	if (rc == TG_OK && o != sentinel)
		json_object_put(o);
	ok(rc == TG_ERR_INVALID && o == sentinel, "%s: refused", name);
	is_str(why.text, want, "%s: says why", name);
	json_object_put(sentinel);
}

static void
accepted(const char *name, const char *doc, size_t len)
{
	struct json_object *o = NULL;
	struct tg_why why = { "(not set)" };
	enum tg_err rc = parse_exact(doc, len, &o, &why);

	ok(rc == TG_OK, "%s: accepted", name);
	if (rc != TG_OK)
		diag("%s", why.text);
	json_object_put(o);
}

#define N(name, lit, why) refused(name, lit, sizeof(lit) - 1, why)
#define Y(name, lit) accepted(name, lit, sizeof(lit) - 1)

static void
test_y_corpus(void)
{
	Y("y_array_empty", "[]");
	Y("y_object_empty", "{}");
	Y("y_structure_whitespace_array", " [] ");
	Y("y_structure_trailing_newline", "[\"a\"]\n");
	Y("y_all_four_whitespace_bytes", "\t\r\n {} \t\r\n");
	Y("y_structure_lonely_int", "42");
	Y("y_structure_lonely_negative_zero", "-0");
	Y("y_structure_lonely_string", "\"asd\"");
	Y("y_structure_lonely_null", "null");
	Y("y_structure_lonely_true", "true");
	Y("y_structure_lonely_false", "false");
	Y("y_number_negative_zero", "[-0]");
	Y("y_number_real_capital_e", "[1E22]");
	Y("y_number_real_capital_e_neg_exp", "[1E-2]");
	Y("y_number_real_pos_exponent", "[1e+2]");
	Y("y_number_real_fraction_exponent", "[123.456e78]");
	Y("y_number_minus_zero_fraction", "[-0.0e-0]");
	Y("y_number_simple_real", "[123.456789]");
	Y("y_number_after_space", "[ 4]");
	Y("y_string_allowed_escapes", "[\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"]");
	Y("y_string_unicode_escapes", "[\"\\u0060\\u012a\\u12AB\"]");
	Y("y_string_surrogates_U+1D11E", "[\"\\uD834\\uDd1e\"]");
	Y("y_string_last_surrogates_U+10FFFF", "[\"\\uDBFF\\uDFFF\"]");
	Y("y_string_escaped_null_in_value", "[\"\\u0000\"]");
	Y("y_string_escaped_noncharacter", "[\"\\uFFFF\"]");
	Y("y_string_with_del_character", "[\"a\x7f" "a\"]");
	Y("y_string_utf8_euro_and_gclef", "[\"\xe2\x82\xac\xf0\x9d\x84\x9e\"]");
	Y("y_string_nonCharacterInUTF-8_U+FFFF", "[\"\xef\xbf\xbf\"]");
	Y("y_string_utf8_U+10FFFF", "[\"\xf4\x8f\xbf\xbf\"]");
	Y("y_string_utf8_last_before_surrogates", "[\"\xed\x9f\xbf\"]");
	Y("y_string_utf8_first_after_surrogates", "[\"\xee\x80\x80\"]");
	Y("y_string_utf8_two_byte_min", "[\"\xc2\x80\"]");
	Y("y_object_empty_key", "{\"\":0}");
	Y("y_object_same_name_nested", "{\"a\":{\"a\":{\"a\":1}}}");
	Y("y_object_same_name_in_sibling_objects", "[{\"a\":1},{\"a\":1}]");
	Y("y_object_parent_name_reused_in_child", "{\"a\":{\"b\":1},\"b\":2}");
	Y("y_object_names_differ_in_case", "{\"a\":1,\"A\":2}");
	Y("y_object_prefix_names", "{\"ab\":1,\"a\":2,\"b\":3}");
	Y("y_object_escaped_names_that_differ", "{\"\\u0061\":1,\"\\u0062\":2}");
	Y("y_object_same_length_different_escape", "{\"\\u00e9\":1,\"\\u00e8\":2}");
	Y("y_object_escape_vs_plain_same_length", "{\"ab\":1,\"\\u0061c\":2}");
	Y("y_object_accented_vs_plain", "{\"\\u00e9\":1,\"e\":2}");
	Y("y_object_nested_mixed", "{\"a\":[],\"b\":{},\"c\":[{}],\"d\":[[[]]]}");
	Y("y_value_with_escaped_nul", "{\"a\":\"b\\u0000c\"}");
	Y("y_number_big_exponent_of_zero", "[0e999999999]");
	Y("y_number_underflow_to_zero", "[1e-400]");
	Y("y_number_min_subnormal", "[4.9e-324]");
	Y("y_number_dbl_max", "[1.7976931348623157e308]");
	Y("y_number_neg_dbl_max", "[-1.7976931348623157e308]");
	Y("y_number_1e308_spelled_differently", "[100e306, 0.0001e312, 1e308]");
	Y("y_number_dbl_max_spelled_differently",
	  "[17976931348623157e292, 1797.6931348623157000e305]");
	Y("y_number_int64_max", "[9223372036854775807]");
	Y("y_number_int64_min", "[-9223372036854775808]");
	Y("y_number_uint64_max", "[18446744073709551615]");
	Y("y_number_long_fraction", "[3.141592653589793238462643383279]");
}

static void
test_grammar(void)
{
	N("n_structure_no_data", "", W_EMPTY);
	N("n_single_space", " ", W_EMPTY);
	N("n_structure_whitespace_formfeed", "[\f]", W_VALUE);
	N("n_structure_vertical_tab", "\v[]", W_VALUE);
	N("n_structure_no_break_space", "\xc2\xa0[]", W_VALUE);
	N("n_structure_whitespace_U+2060_word_joiner", "[\xe2\x81\xa0]", W_VALUE);
	N("n_structure_UTF8_BOM_no_data", "\xef\xbb\xbf", W_VALUE);
	N("n_structure_UTF8_BOM_before_value", "\xef\xbb\xbf{}", W_VALUE);
	N("n_array_extra_comma", "[\"\",]", W_ARR_COMMA);
	N("n_array_number_and_comma", "[1,]", W_ARR_COMMA);
	N("n_array_comma_then_space", "[1, ]", W_ARR_COMMA);
	N("n_object_trailing_comma", "{\"id\":0,}", W_OBJ_COMMA);
	N("n_object_trailing_comma_nested", "{\"a\":{\"b\":1,}}", W_OBJ_COMMA);
	N("n_array_double_comma", "[1,,2]", W_VALUE);
	N("n_array_comma_first", "[,1]", W_VALUE);
	N("n_array_just_comma", "[,]", W_VALUE);
	N("n_array_1_true_without_comma", "[1 true]", W_ARR_SEP);
	N("n_array_colon_instead_of_comma", "[\"\": 1]", W_ARR_SEP);
	N("n_array_unclosed", "[\"a\"", W_EOF);
	N("n_array_unclosed_after_comma", "[1,", W_EOF_VALUE);
	N("n_structure_lone_open_bracket", "[", W_EOF_VALUE);
	N("n_structure_close_unopened_array", "]", W_MISSING);
	N("n_structure_unclosed_object", "{\"a\":1", W_EOF);
	N("n_structure_lone_open_brace", "{", W_EOF);
	N("n_object_missing_colon", "{\"a\" b}", W_COLON);
	N("n_object_comma_instead_of_colon", "{\"x\", null}", W_COLON);
	N("n_object_missing_value", "{\"a\":}", W_MISSING);
	N("n_object_double_colon", "{\"x\"::\"b\"}", W_VALUE);
	N("n_object_unquoted_key", "{a:1}", W_NAME);
	N("n_object_non_string_key", "{1:1}", W_NAME);
	N("n_object_two_members_without_comma", "{\"a\":1 \"b\":2}", W_OBJ_SEP);
	N("n_object_single_quote", "{'a':0}", W_SQUOTE);
	N("n_string_single_quote", "['single quote']", W_SQUOTE);
	N("n_object_single_quoted_value", "{\"a\":'b'}", W_SQUOTE);
	N("n_structure_trailing_#", "{\"a\":\"b\"}#{}", W_TRAILING);
	N("n_structure_double_array", "[][]", W_TRAILING);
	N("n_structure_two_values", "{} {}", W_TRAILING);
	N("n_structure_number_with_trailing_garbage", "2@", W_TRAILING);
	N("n_structure_object_with_trailing_garbage", "{\"a\":true} \"x\"", W_TRAILING);
	N("n_structure_comment_after_value", "[1]//x", W_COMMENT);
	N("n_structure_block_comment_after_value", "{\"a\":1}/**/", W_COMMENT);
	N("n_object_comment_before_close", "{\"a\":1 /* c */}", W_COMMENT);
	N("n_object_comment_before_colon", "{\"a\" /* c */ : 1}", W_COMMENT);
	N("n_structure_comment_first", "/**/{}", W_COMMENT);
	N("n_structure_line_comment_first", "// x\n{}", W_COMMENT);
	N("n_array_comment_between_elements", "[1, /* c */ 2]", W_COMMENT);
	N("n_incomplete_true", "[tru]", W_LITERAL);
	N("n_incomplete_null_at_end", "nul", W_LITERAL);
	N("n_incomplete_false", "[fals]", W_LITERAL);
	N("n_literal_with_trailing_letter", "[truex]", W_ARR_SEP);
	N("n_structure_capitalized_True", "[True]", W_VALUE);
	N("n_structure_null_byte_outside_string", "[\0]", W_NUL);
	N("n_structure_lone_nul", "\0", W_NUL);
	N("n_structure_nul_after_value", "[1]\0", W_NUL);
	N("n_object_nul_before_close", "{\"a\":1\0}", W_NUL);
	N("n_structure_non_ascii_value", "[\xc3\xa9]", W_VALUE);
}

static void
test_numbers(void)
{
	N("n_number_NaN", "[NaN]", W_NAN);
	N("n_number_Infinity", "[Infinity]", W_NAN);
	N("n_number_minus_infinity", "[-Infinity]", W_MINUS);
	N("n_number_minus_NaN", "[-NaN]", W_MINUS);
	N("n_number_plus_1", "[+1]", W_PLUS);
	N("n_number_plus_plus", "[++1234]", W_PLUS);
	N("n_number_.2e-3", "[.2e-3]", W_DOT);
	N("n_number_bare_dot_top_level", ".5", W_DOT);
	N("n_number_0.e1", "[0.e1]", W_FRAC);
	N("n_number_1.", "[1.]", W_FRAC);
	N("n_number_2.e3_top_level", "2.e3", W_FRAC);
	N("n_number_1.0e", "[1.0e]", W_EXP);
	N("n_number_1.0e+", "[1.0e+]", W_EXP);
	N("n_number_1e-_at_end", "1e-", W_EXP);
	N("n_number_0_capital_E", "[0E]", W_EXP);
	N("n_number_01", "[01]", W_ZERO);
	N("n_number_-01", "[-01]", W_ZERO);
	N("n_number_00", "00", W_ZERO);
	N("n_number_minus_alone", "[-]", W_MINUS);
	N("n_number_minus_space_1", "[- 1]", W_MINUS);
	N("n_number_hex", "[0x1]", W_ARR_SEP);
	N("n_number_with_space_inside", "[1 000]", W_ARR_SEP);
	N("n_number_comma_decimal", "[1,5,]", W_ARR_COMMA);
	/* json-c would turn these into infinities (RFC 7493 section 2.2). */
	N("n_number_1e400", "[1e400]", W_DBL_RANGE);
	N("n_number_-1e400", "-1e400", W_DBL_RANGE);
	N("n_number_1E400_capital", "[1E400]", W_DBL_RANGE);
	N("n_number_1e309", "[1e309]", W_DBL_RANGE);
	N("n_number_1.8e308", "[1.8e308]", W_DBL_RANGE);
	N("n_number_180e306", "[180e306]", W_DBL_RANGE);
	N("n_number_0.1e310", "[0.1e310]", W_DBL_RANGE);
	N("n_number_just_above_dbl_max_digits", "[1.79769313486231571e308]", W_DBL_RANGE);
	N("n_number_dbl_max_with_late_digit", "[179769313486231570.00001e291]", W_DBL_RANGE);
	N("n_number_huge_exponent", "[1e99999999999999999999]", W_DBL_RANGE);
	/* json-c would clamp these silently to INT64_MIN or UINT64_MAX. */
	N("n_number_huge_integer", "[123456789012345678901234567890]", W_INT_RANGE);
	N("n_number_uint64_max_plus_1", "18446744073709551616", W_INT_RANGE);
	N("n_number_int64_min_minus_1", "-9223372036854775809", W_INT_RANGE);
	N("n_number_negative_20_digits", "[-10000000000000000000]", W_INT_RANGE);
}

static void
test_strings(void)
{
	N("n_string_unescaped_tab", "[\"\t\"]", W_CONTROL);
	N("n_string_unescaped_newline", "[\"new\nline\"]", W_CONTROL);
	N("n_string_unescaped_ctrl_char_0x1f", "[\"a\x1f" "a\"]", W_CONTROL);
	N("n_string_raw_nul_is_a_control_char", "[\"a\0b\"]", W_CONTROL);
	N("n_string_raw_nul_in_name", "{\"a\0\":1}", W_CONTROL);
	N("n_string_escape_x", "[\"\\x00\"]", W_ESCAPE);
	N("n_string_escape_a", "[\"\\a\"]", W_ESCAPE);
	N("n_string_escaped_single_quote", "[\"\\'\"]", W_ESCAPE);
	N("n_string_escaped_emoji", "[\"\\\xf0\x9f\x8c\x80\"]", W_ESCAPE);
	N("n_string_escape_U_capital", "[\"\\U0041\"]", W_ESCAPE);
	N("n_string_incomplete_escape_u00", "[\"\\u00\"]", W_HEX);
	N("n_string_invalid_unicode_escape", "[\"\\uqqqq\"]", W_HEX);
	N("n_string_incomplete_escaped_character", "[\"\\u00A\"]", W_HEX);
	N("n_string_escape_u_at_end", "\"\\u12", W_HEX);
	N("n_string_backslash_at_end", "[\"\\", W_ESC_EOF);
	N("n_string_unterminated", "[\"abc]", W_UNTERMINATED);
	N("n_string_single_doublequote", "\"", W_UNTERMINATED);
	/* RFC 7493 section 2.1: escapes that name no character. */
	N("n_string_lone_high_surrogate", "[\"\\uD800\"]", W_HIGH);
	N("n_string_lone_low_surrogate", "[\"\\uDC00\"]", W_LOW);
	N("n_string_high_then_letter", "[\"\\uD800\\u0041\"]", W_HIGH);
	N("n_string_high_then_high", "[\"\\uD800\\uD800\"]", W_HIGH);
	N("n_string_inverted_pair", "[\"\\uDFFF\\uD800\"]", W_LOW);
	N("n_string_high_then_raw_byte", "[\"\\uD800x\"]", W_HIGH);
	N("n_string_incomplete_surrogate", "[\"\\uD834\\uDd\"]", W_HIGH);
	N("n_string_high_then_newline_escape", "[\"\\uD800\\n\"]", W_HIGH);
	N("n_string_lone_surrogate_in_name", "{\"\\uDFAA\":0}", W_LOW);
	/* RFC 3629: what a UTF-8 decoder must refuse. */
	N("n_string_overlong_2_byte_slash", "[\"\xc0\xaf\"]", W_UTF8);
	N("n_string_overlong_2_byte_max", "[\"\xc1\xbf\"]", W_UTF8);
	N("n_string_overlong_3_byte", "[\"\xe0\x80\xaf\"]", W_UTF8);
	N("n_string_overlong_3_byte_max", "[\"\xe0\x9f\xbf\"]", W_UTF8);
	N("n_string_overlong_4_byte", "[\"\xf0\x80\x80\xaf\"]", W_UTF8);
	N("n_string_overlong_4_byte_max", "[\"\xf0\x8f\xbf\xbf\"]", W_UTF8);
	N("n_string_UTF-8_encoded_high_surrogate", "[\"\xed\xa0\x80\"]", W_UTF8);
	N("n_string_UTF-8_encoded_low_surrogate", "[\"\xed\xbf\xbf\"]", W_UTF8);
	N("n_string_UTF-8_above_U+10FFFF", "[\"\xf4\x90\x80\x80\"]", W_UTF8);
	N("n_string_UTF-8_lead_F5", "[\"\xf5\x80\x80\x80\"]", W_UTF8);
	N("n_string_UTF-8_lead_FF", "[\"\xff\"]", W_UTF8);
	N("n_string_lone_continuation_byte", "[\"\x80\"]", W_UTF8);
	N("n_string_truncated_3_byte", "[\"\xe2\x82\"]", W_UTF8);
	N("n_string_truncated_2_byte", "[\"\xc3\"]", W_UTF8);
	N("n_string_truncated_at_end_of_input", "[\"\xe2\x82", W_UTF8);
	N("n_string_4_byte_with_ascii_tail", "[\"\xf0\x9f\x98\x41\"]", W_UTF8);
	N("n_string_invalid_utf8_in_name", "{\"\xc0\x80\":1}", W_UTF8);
	/* json-c keeps names as C strings: "a\u0000b" and "a" would collide after parsing. */
	N("n_object_name_with_escaped_nul", "{\"a\\u0000b\":1}", W_NAME_NUL);
	N("n_object_name_only_escaped_nul", "{\"\\u0000\":1}", W_NAME_NUL);
	N("n_object_nul_name_smuggles_alg", "{\"alg\":\"HS256\",\"alg\\u0000\":\"none\"}",
	  W_NAME_NUL);
}

static void
test_duplicates(void)
{
	N("n_object_duplicated_key", "{\"a\":\"b\",\"a\":\"c\"}", W_DUP);
	N("n_object_duplicated_key_and_value", "{\"a\":\"b\",\"a\":\"b\"}", W_DUP);
	N("n_object_duplicated_empty_key", "{\"\":1,\"\":2}", W_DUP);
	N("n_object_duplicate_not_adjacent", "{\"a\":1,\"b\":2,\"c\":3,\"a\":4}", W_DUP);
	N("n_object_duplicate_alg_downgrade", "{\"alg\":\"RS256\",\"kid\":\"k\",\"alg\":\"HS256\"}",
	  W_DUP);
	/* The same name spelled two ways: compared after unescaping. */
	N("n_dup_escape_second", "{\"a\":1,\"\\u0061\":2}", W_DUP);
	N("n_dup_escape_first", "{\"\\u0061\":1,\"a\":2}", W_DUP);
	N("n_dup_escape_both", "{\"\\u0061\":1,\"\\u0061\":2}", W_DUP);
	N("n_dup_hex_case", "{\"\\u00E9\":1,\"\\u00e9\":2}", W_DUP);
	N("n_dup_raw_utf8_vs_escape", "{\"\xc3\xa9\":1,\"\\u00e9\":2}", W_DUP);
	N("n_dup_solidus", "{\"/\":1,\"\\/\":2}", W_DUP);
	N("n_dup_quote", "{\"a\\\"\":1,\"a\\u0022\":2}", W_DUP);
	N("n_dup_newline", "{\"\\n\":1,\"\\u000a\":2}", W_DUP);
	N("n_dup_surrogate_pair_vs_raw", "{\"\xf0\x9f\x98\x80\":1,\"\\ud83d\\ude00\":2}", W_DUP);
	N("n_dup_surrogate_pair_case", "{\"\\ud83d\\ude00\":1,\"\\uD83D\\uDE00\":2}", W_DUP);
	N("n_dup_alg_spelled_with_escapes", "{\"alg\":\"RS256\",\"\\u0061lg\":\"HS256\"}", W_DUP);
	/* Duplicates at depth, and parents that keep their names across a child object. */
	N("n_dup_in_nested_object", "{\"x\":{\"a\":1,\"a\":2}}", W_DUP);
	N("n_dup_in_object_in_array", "{\"x\":{\"y\":[{\"a\":1,\"a\":2}]}}", W_DUP);
	N("n_dup_after_child_object", "{\"a\":{\"x\":1},\"a\":2}", W_DUP);
	N("n_dup_around_deep_child", "{\"a\":1,\"b\":{\"c\":{\"d\":[{}]}},\"a\":3}", W_DUP);
	N("n_dup_in_second_sibling", "[{\"a\":1},{\"b\":1,\"b\":2}]", W_DUP);
}

static char *
nested(int depth, const char *open, const char *leaf, const char *close)
{
	size_t ol = strlen(open), cl = strlen(close), ll = strlen(leaf);
	char *s = tg_xmalloc((size_t)depth * (ol + cl) + ll + 1), *p = s;

	for (int i = 0; i < depth; i++, p += ol)
		memcpy(p, open, ol);
	memcpy(p, leaf, ll);
	p += ll;
	for (int i = 0; i < depth; i++, p += cl)
		memcpy(p, close, cl);
	*p = '\0';
	return s;
}

static void
test_depth(void)
{
	static const struct {
		const char *what, *open, *leaf, *close;
	} shapes[] = {
		{ "arrays", "[", "1", "]" },
		{ "empty arrays", "[", "", "]" },
		{ "objects", "{\"a\":", "1", "}" },
		{ "objects with a string leaf", "{\"a\":", "\"s\"", "}" },
		{ "arrays holding objects", "[{\"k\":", "null", "}]" },
	};

	is_int(TG_JSON_MAX_DEPTH, 32, "the depth cap is 32");
	for (size_t i = 0; i < sizeof(shapes) / sizeof(shapes[0]); i++) {
		int per = strchr(shapes[i].open + 1, '{') ? 2 : 1;
		char *at_cap = nested(TG_JSON_MAX_DEPTH / per, shapes[i].open, shapes[i].leaf,
				      shapes[i].close);
		char *over = nested(TG_JSON_MAX_DEPTH / per + 1, shapes[i].open, shapes[i].leaf,
				    shapes[i].close);

		accepted(shapes[i].what, at_cap, strlen(at_cap));
		refused(shapes[i].what, over, strlen(over), W_DEPTH);
		free(at_cap);
		free(over);
	}
	{
		char *deep = nested(2000, "[", "", "]");

		refused("2000 nested arrays", deep, strlen(deep), W_DEPTH);
		free(deep);
	}
	{
		/* A duplicate in the innermost object the cap allows. */
		char *inner = nested(TG_JSON_MAX_DEPTH - 1, "{\"a\":", "{\"z\":1,\"z\":2}", "}");

		refused("duplicate at depth 32", inner, strlen(inner), W_DUP);
		free(inner);
	}
}

/* An object of n members "k0".."k<n-1>", then extra (already comma-led) members before '}'. */
static char *
big_object(size_t n, const char *child, const char *extra)
{
	size_t cap = n * 24 + strlen(child) + strlen(extra) + 16, len = 0;
	char *s = tg_xmalloc(cap);

	s[len++] = '{';
	for (size_t i = 0; i < n; i++)
		len += (size_t)snprintf(s + len, cap - len, "%s\"k%zu\":%zu", i ? "," : "", i, i);
	len += (size_t)snprintf(s + len, cap - len, "%s%s}", child, extra);
	return s;
}

static void
test_large_objects(void)
{
	static const size_t sizes[] = { 16, 17, 33, 1000 };
	char *s, *child;

	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		size_t n = sizes[i];
		char name[64], extra[64];

		s = big_object(n, "", "");
		snprintf(name, sizeof(name), "%zu distinct members", n);
		accepted(name, s, strlen(s));
		free(s);
		snprintf(extra, sizeof(extra), ",\"k%zu\":0", n - 1);
		s = big_object(n, "", extra);
		snprintf(name, sizeof(name), "%zu members, last repeated at the end", n);
		refused(name, s, strlen(s), W_DUP);
		free(s);
		s = big_object(n, "", ",\"\\u006b0\":0");
		snprintf(name, sizeof(name), "%zu members, first repeated with an escape", n);
		refused(name, s, strlen(s), W_DUP);
		free(s);
	}
	/* A child big enough to move the name stack to the heap keeps its parent's names. */
	child = big_object(1000, "", "");
	s = tg_xasprintf("{\"p0\":1,\"child\":%s,\"p0\":2}", child);
	refused("parent duplicate around a 1000-member child", s, strlen(s), W_DUP);
	free(s);
	s = tg_xasprintf("{\"k0\":1,\"child\":%s,\"k1\":2}", child);
	accepted("parent and 1000-member child share names", s, strlen(s));
	free(s);
	free(child);
}

/*
 * 256 KiB of members whose names are escapes, the slowest to compare: sorted this takes
 * milliseconds, compared pairwise it takes seconds even without sanitizers.
 */
static void
test_bounded_work(void)
{
	size_t cap = 270000, len = 0, n = 0;
	char *s = tg_xmalloc(cap);
	clock_t t0;
	double secs;

	s[len++] = '{';
	while (len < 262000) {
		len += (size_t)snprintf(s + len, cap - len, "%s\"\\u0061%05zx\":0", n ? "," : "",
					n);
		n++;
	}
	len += (size_t)snprintf(s + len, cap - len, ",\"a%05zx\":0}", n / 2);
	t0 = clock();
	refused("256 KiB object of escaped names with one late duplicate", s, len, W_DUP);
	secs = (double)(clock() - t0) / CLOCKS_PER_SEC;
	ok(secs < 1.0, "%zu members checked in %.3f s", n, secs);
	free(s);
}

static struct json_object *
must_parse(const char *doc, size_t len)
{
	struct json_object *o = NULL;
	struct tg_why why;

	if (parse_exact(doc, len, &o, &why) != TG_OK) {
		diag("unexpected refusal: %s", why.text);
		return NULL;
	}
	return o;
}

static void
test_values(void)
{
	struct json_object *o, *m;

	o = must_parse("123", 3);
	ok(json_object_is_type(o, json_type_int) && json_object_get_int64(o) == 123,
	   "top-level 123 without a terminator is the integer 123");
	json_object_put(o);
	o = must_parse("1.5", 3);
	ok(json_object_is_type(o, json_type_double) && json_object_get_double(o) == 1.5,
	   "top-level 1.5 is the double 1.5");
	json_object_put(o);
	o = must_parse("123", 2);
	ok(json_object_get_int64(o) == 12, "only len bytes are read: \"123\" with len 2 is 12");
	json_object_put(o);
	o = must_parse("[1]]", 3);
	ok(json_object_is_type(o, json_type_array), "\"[1]]\" with len 3 is [1]");
	json_object_put(o);
	o = must_parse("-0", 2);
	ok(json_object_is_type(o, json_type_int) && json_object_get_int64(o) == 0,
	   "-0 is integer 0");
	json_object_put(o);
	o = must_parse("-0.0", 4);
	ok(json_object_is_type(o, json_type_double) && signbit(json_object_get_double(o)),
	   "-0.0 keeps its sign");
	json_object_put(o);
	o = must_parse("1e-400", 6);
	ok(json_object_get_double(o) == 0.0, "1e-400 underflows to 0");
	json_object_put(o);
	o = must_parse("1.7976931348623157e308", 22);
	ok(isfinite(json_object_get_double(o)) && json_object_get_double(o) > 1.79e308,
	   "DBL_MAX parses finite");
	json_object_put(o);
	o = must_parse("-9223372036854775808", 20);
	ok(json_object_get_int64(o) == INT64_MIN, "INT64_MIN is exact");
	json_object_put(o);
	o = must_parse("18446744073709551615", 20);
	ok(json_object_get_uint64(o) == UINT64_MAX, "UINT64_MAX is exact");
	json_object_put(o);
	o = must_parse("null", 4);
	ok(o == NULL, "null parses to json-c's NULL object");
	o = must_parse("\"\\u00e9\\ud834\\udd1e\"", 20);
	is_str(json_object_get_string(o), "\xc3\xa9\xf0\x9d\x84\x9e", "escapes become UTF-8");
	json_object_put(o);
	o = must_parse("{\"a\":\"b\\u0000c\"}", 16);
	ok(json_object_object_get_ex(o, "a", &m) && json_object_get_string_len(m) == 3 &&
	   memcmp(json_object_get_string(m), "b\0c", 3) == 0,
	   "an escaped NUL inside a value keeps its length");
	json_object_put(o);
	o = must_parse("{\"alg\":\"HS256\",\"typ\":\"JWT\"}", 27);
	ok(json_object_object_get_ex(o, "alg", &m) &&
	   strcmp(json_object_get_string(m), "HS256") == 0 && json_object_object_length(o) == 2,
	   "a JWS header parses to its two members");
	json_object_put(o);
}

/* Serialised with json-c's plain flags; NULL when the document is refused. */
static char *
plain(const char *doc)
{
	struct json_object *o = must_parse(doc, strlen(doc));
	char *s = o ? tg_xstrdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN)) : NULL;

	json_object_put(o);
	return s;
}

static char *
repeat(const char *unit, size_t n)
{
	size_t ul = strlen(unit);
	char *s = tg_xmalloc(ul * n + 1);

	for (size_t i = 0; i < n; i++)
		memcpy(s + i * ul, unit, ul);
	s[ul * n] = '\0';
	return s;
}

/* The tree is built as json-c's tokener built it: order, types, double text, unescaped names. */
static void
test_built_values(void)
{
	struct json_object *o, *m;
	char *s, *doc, *want, *esc_name, *name, *esc_value, *value, *digits;
	size_t n = 300;

	s = plain("{\"b\":1,\"a\":[true,false,null,-1.50,1E22,0.1e1,-0.0],"
		  "\"c\":{\"\\u0061lg\":\"x\\/y\",\"z\":{}},\"\":[]}");
	is_str(s, "{\"b\":1,\"a\":[true,false,null,-1.50,1E22,0.1e1,-0.0],"
		  "\"c\":{\"alg\":\"x\\/y\",\"z\":{}},\"\":[]}",
	       "members keep their order, doubles their text, names are unescaped");
	free(s);
	o = must_parse("[9223372036854775807,9223372036854775808,-1,0.1]", 48);
	m = json_object_array_get_idx(o, 0);
	ok(json_object_get_int64(m) == INT64_MAX && json_object_get_uint64(m) == INT64_MAX,
	   "INT64_MAX is an int64");
	m = json_object_array_get_idx(o, 1);
	ok(json_object_is_type(m, json_type_int) &&
	   json_object_get_uint64(m) == (uint64_t)INT64_MAX + 1 &&
	   json_object_get_int64(m) == INT64_MAX,
	   "INT64_MAX + 1 is a uint64, which json-c clamps when read as an int64");
	m = json_object_array_get_idx(o, 2);
	ok(json_object_get_int64(m) == -1 && json_object_get_uint64(m) == 0, "-1 is an int64");
	m = json_object_array_get_idx(o, 3);
	ok(json_object_get_double(m) == 0.1, "0.1 is the double nearest 0.1");
	json_object_put(o);
	s = plain("[9223372036854775808,18446744073709551615,-9223372036854775808]");
	is_str(s, "[9223372036854775808,18446744073709551615,-9223372036854775808]",
	       "64-bit extremes serialise back as written");
	free(s);

	/* Longer than any scratch buffer on the stack: names, escaped strings, double text. */
	esc_name = repeat("\\u0061", n);
	name = repeat("a", n);
	esc_value = repeat("\\u00e9", n);
	value = repeat("\xc3\xa9", n);
	digits = repeat("1", n);
	doc = tg_xasprintf("{\"%s\":\"%s\",\"d\":0.%s}", esc_name, esc_value, digits);
	want = tg_xasprintf("{\"%s\":\"%s\",\"d\":0.%s}", name, value, digits);
	s = plain(doc);
	is_str(s, want, "a %zu-byte escaped name and value and a %zu-digit double", n * 6, n);
	free(s);
	o = must_parse(doc, strlen(doc));
	ok(json_object_object_get_ex(o, "d", &m) && json_object_get_double(m) > 0.1111 &&
	   json_object_get_double(m) < 0.1112, "the long double has its value");
	json_object_put(o);
	free(esc_name);
	free(name);
	free(esc_value);
	free(value);
	free(digits);
	free(doc);
	free(want);
}

static void
test_api(void)
{
	struct json_object *o = NULL;
	struct tg_why why = { "" };

	is_int(json_strict_parse(NULL, 0, &o, &why), TG_ERR_INVALID, "a NULL buffer is refused");
	is_str(why.text, "the document is missing", "and says so");
	snprintf(why.text, sizeof(why.text), "untouched");
	o = NULL;
	is_int(json_strict_parse("{}", 2, &o, &why), TG_OK, "success");
	is_str(why.text, "untouched", "why is not written on success");
	is_int(json_strict_parse("[", 1, &o, NULL), TG_ERR_INVALID,
	       "a refusal without a why wanted still returns TG_ERR_INVALID");
	json_object_put(o);
}

/* json_strict_parse_no_nul's answer for doc: TG_OK, or its code with the sentence in why. */
static enum tg_err
no_nul(const char *doc, struct tg_why *why)
{
	char *copy = exact_copy(doc, strlen(doc));
	struct json_object *o = NULL;
	enum tg_err rc = json_strict_parse_no_nul(copy, strlen(doc), &o, why);

	json_object_put(o);
	free(copy);
	return rc;
}

/*
 * Issue 12: strings compared or passed on as C strings must not hold U+0000, wherever they sit.
 * json_strict_parse keeps the RFC's view (the y_ corpus above), json_strict_parse_no_nul refuses.
 */
static void
test_no_nul(void)
{
	static const struct {
		const char *doc, *why;
	} cases[] = {
		{ "{\"sub\":\"alice\\u0000@evil\"}", "\"sub\" contains U+0000" },
		{ "{\"a\":{\"b\":[1,{\"c\":\"\\u0000\"}]}}", "\"a.b[1].c\" contains U+0000" },
		{ "[\"x\",\"y\",\"\\u0000\"]", "\"[2]\" contains U+0000" },
		{ "\"\\u0000\"", "the string contains U+0000" },
		{ "{\"n\\u0000\":1}", "a member name contains U+0000" },
		{ "{\"a\":[{\"n\\u0000\":1}]}", "a member name inside \"a[0]\" contains U+0000" },
		{ "{\"q\\\"\\\\\\t\":\"\\u0000\"}", "\"q???\" contains U+0000" },
		{ "{\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\":"
		  "{\"bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb\":"
		  "\"\\u0000\"}}",
		  "\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa."
		  "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb...\" contains U+0000" },
	};
	struct tg_why why;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(&why, 0, sizeof(why));
		is_int(no_nul(cases[i].doc, &why), TG_ERR_UNSUPPORTED, "no_nul refuses %s",
		       cases[i].doc);
		is_str(why.text, cases[i].why, "and names where");
	}
	is_int(no_nul("{\"a\":\"\\u0001\\u00e9\"}", &why), TG_OK,
	       "no_nul takes other escapes, control characters included");
	is_int(no_nul("{\"a\":1,}", &why), TG_ERR_INVALID, "no_nul's other refusals are as before");
	is_str(why.text, W_OBJ_COMMA, "with their sentences");
	is_int(no_nul("{\"a\":[1,2],\"b\":{\"c\":[]},\"d\":\"\\u0000\"}", &why), TG_ERR_UNSUPPORTED,
	       "a closed array or object leaves no step behind");
	is_str(why.text, "\"d\" contains U+0000", "so the path is the NUL's own");
}

int
main(void)
{
	test_no_nul();
	test_y_corpus();
	test_grammar();
	test_numbers();
	test_strings();
	test_duplicates();
	test_depth();
	test_large_objects();
	test_bounded_work();
	test_values();
	test_built_values();
	test_api();
	return done_testing();
}
