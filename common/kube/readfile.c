#include "readfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "strbuf.h"

int gw_read_file(const char *path, size_t cap, char **ret_buf, size_t *ret_len,
                 char **ret_err)
{
    int fd = strcmp(path, "-") == 0 ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        int e = errno;
        if (ret_err) {
            struct strbuf sb;
            sb_init(&sb, 4096);
            sb_addf(&sb, "%s: %s", path, strerror(e));
            *ret_err = sb_detach(&sb, NULL);
        }
        return -e;
    }
    struct strbuf sb;
    sb_init(&sb, cap);
    char chunk[65536];
    int rc = 0;
    for (;;) {
        ssize_t n = read(fd, chunk, sizeof(chunk));
        if (n < 0) {
            if (errno == EINTR)
                continue;
            rc = -errno;
            break;
        }
        if (n == 0)
            break;
        if (sb_add(&sb, chunk, (size_t)n) < 0) {
            rc = sb.err;
            break;
        }
    }
    if (fd != STDIN_FILENO)
        close(fd);
    if (rc) {
        if (ret_err) {
            struct strbuf e;
            sb_init(&e, 4096);
            if (rc == -E2BIG)
                sb_addf(&e, "%s: larger than the limit of %zu bytes", path, cap);
            else
                sb_addf(&e, "%s: %s", path, strerror(-rc));
            *ret_err = sb_detach(&e, NULL);
        }
        sb_release(&sb);
        return rc;
    }
    *ret_buf = sb_detach(&sb, ret_len);
    return *ret_buf ? 0 : -ENOMEM;
}
