/*
 * file.c - reading files: read-only mappings (model weights are used in place) and whole-file
 * reads (lexicons, configurations). Both refuse what is not a regular file before reading it:
 * a FIFO or a terminal would block the caller for good (a server reloading its model on
 * SIGHUP, say) and a device may never end. The file is opened with O_NONBLOCK, so even the
 * open of a FIFO with no writer returns at once, and then checked with fstat.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/base.h"

int senti__open_regular(const char *path, uint64_t *size, char *err, size_t err_size) {
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) return senti__err(err, err_size, -1, "%s: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0) {
        int e = errno;
        close(fd);
        return senti__err(err, err_size, -1, "%s: %s", path, strerror(e));
    }
    if (!S_ISREG(st.st_mode)) {
        close(fd);
        return senti__err(err, err_size, -1, "%s: not a regular file", path);
    }
    *size = (uint64_t)st.st_size;
    return fd;
}

static const uint64_t empty_map[1];

int senti__map_file(const char *path, void **map, size_t *size, char *err, size_t err_size) {
    *map = NULL;
    *size = 0;
    uint64_t n;
    int fd = senti__open_regular(path, &n, err, err_size);
    if (fd < 0) return SENTI_EIO;
    if (n == 0) {
        close(fd);
        *map = (void *)empty_map;
        return SENTI_OK;
    }
    if (n > SIZE_MAX) {
        close(fd);
        return senti__err(err, err_size, SENTI_ERANGE, "%s: file too large", path);
    }
    void *p = mmap(NULL, (size_t)n, PROT_READ, MAP_PRIVATE, fd, 0);
    int e = errno;
    close(fd);
    if (p == MAP_FAILED) return senti__err(err, err_size, SENTI_EIO, "%s: mmap: %s", path, strerror(e));
    *map = p;
    *size = (size_t)n;
    return SENTI_OK;
}

void senti__unmap(void *map, size_t size) {
    if (map && map != (void *)empty_map && size) munmap(map, size);
}

int senti__read_file(const char *path, size_t max, char **data, size_t *size, char *err,
                     size_t err_size) {
    *data = NULL;
    *size = 0;
    uint64_t n;
    int fd = senti__open_regular(path, &n, err, err_size);
    if (fd < 0) return SENTI_EIO;
    if (n > max) {
        close(fd);
        return senti__err(err, err_size, SENTI_ERANGE, "%s: larger than %zu bytes", path, max);
    }
    char *p = senti__malloc((size_t)n + 1);
    if (!p) {
        close(fd);
        return senti__err(err, err_size, SENTI_ENOMEM, "%s: out of memory", path);
    }
    size_t got = 0;
    while (got < n) { /* a file that shrinks under us ends early; one that grows is cut */
        ssize_t r = read(fd, p + got, (size_t)n - got);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) {
            int e = errno;
            close(fd);
            senti__free(p);
            return senti__err(err, err_size, SENTI_EIO, "%s: %s", path, strerror(e));
        }
        if (r == 0) break;
        got += (size_t)r;
    }
    close(fd);
    p[got] = 0;
    *data = p;
    *size = got;
    return SENTI_OK;
}
