/* mapfile.c - read-only file mappings for model files (weights are used in place). */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

static const uint64_t empty_map[1];

int senti__map_file(const char *path, void **map, size_t *size, char *err, size_t err_size) {
    *map = NULL;
    *size = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return senti__err(err, err_size, SENTI_EIO, "%s: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0) {
        int e = errno;
        close(fd);
        return senti__err(err, err_size, SENTI_EIO, "%s: %s", path, strerror(e));
    }
    if (!S_ISREG(st.st_mode)) {
        close(fd);
        return senti__err(err, err_size, SENTI_EIO, "%s: not a regular file", path);
    }
    if (st.st_size == 0) {
        close(fd);
        *map = (void *)empty_map;
        return SENTI_OK;
    }
    if ((uint64_t)st.st_size > SIZE_MAX) {
        close(fd);
        return senti__err(err, err_size, SENTI_ERANGE, "%s: file too large", path);
    }
    void *p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    int e = errno;
    close(fd);
    if (p == MAP_FAILED) return senti__err(err, err_size, SENTI_EIO, "%s: mmap: %s", path, strerror(e));
    *map = p;
    *size = (size_t)st.st_size;
    return SENTI_OK;
}

void senti__unmap(void *map, size_t size) {
    if (map && map != (void *)empty_map && size) munmap(map, size);
}
