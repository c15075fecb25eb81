/*
 * part.h - the message part the conversion channel hands us.
 *
 * Everything comes from the environment the channel sets (INPUT_FILE,
 * OUTPUT_FILE, OUTPUT_OPTIONS, INPUT_TYPE, ...), or from the two
 * arguments "INPUT_FILE OUTPUT_FILE" some conversions entries pass.
 * Values that came from the message (file names, header values) are
 * untrusted; part_* keeps them as they are and callers sanitise on use.
 */
#ifndef MX_PART_H
#define MX_PART_H

struct part {
	const char *input_file;		/* the decoded part (required) */
	const char *output_file;	/* where the new part goes (required) */
	const char *output_options;	/* OUTPUT_OPTIONS file, or NULL */
	const char *type, *subtype;	/* INPUT_TYPE / INPUT_SUBTYPE or "" */
	const char *name;		/* file name (conversion_name_variables) or "" */
	const char *part_number;	/* PART_NUMBER or "" */
	char message_id[256];		/* from MESSAGE_HEADERS, sanitised, or "" */
};

/*
 * part_from_environment - fill P from the environment and ARGV (argc
 * after options).  Returns 0, or -1 with *error_r when a required value
 * is missing.
 */
int part_from_environment(struct part *p, int argc, char **argv, const char **error_r);

/*
 * part_safe_text - copy untrusted SRC into DST (SIZE bytes) keeping only
 * printable ASCII other than quotes and backslashes, so it can go into a
 * notice line, an OUTPUT_OPTIONS value or a log line without starting a
 * new line or ending a quoted string.  Returns DST.
 */
char *part_safe_text(char *dst, size_t size, const char *src);

#endif
