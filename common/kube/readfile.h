/* readfile: whole files into memory with a size cap, for the parts that do
 * I/O (the offline commands, the webhook's certificates). The pure core
 * takes bytes and never opens files itself. */
#ifndef GW_READFILE_H
#define GW_READFILE_H

#include <stddef.h>

/* Reads a whole file (or stdin for "-") with a size cap. On success
 * *ret_buf (NUL-terminated, caller frees) and *ret_len are set. On failure
 * returns a negative errno (-E2BIG past cap) and *ret_err (caller frees,
 * may be NULL) names the file and the reason. */
int gw_read_file(const char *path, size_t cap, char **ret_buf, size_t *ret_len, char **ret_err);

#endif
