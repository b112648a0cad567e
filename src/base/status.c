/*
 * status.c - the library's version, its status codes' names and messages (one X-macro in
 * senti.h), and senti__err, which turns an error into one line at the point of failure.
 */
#include <stdio.h>

#include "base/base.h"

SENTI_API const char *senti_version(void) { return SENTI_VERSION_STRING; }
SENTI_API uint32_t senti_version_hex(void) { return SENTI_VERSION_HEX; }

SENTI_API const char *senti_strerror(int status) {
    switch (status) {
#define SENTI__STATUS_MSG(name, code, msg) \
    case code: return msg;
        SENTI_STATUS_MAP(SENTI__STATUS_MSG)
#undef SENTI__STATUS_MSG
    }
    return "unknown status";
}

SENTI_API const char *senti_status_name(int status) {
    switch (status) {
#define SENTI__STATUS_NAME(name, code, msg) \
    case code: return "SENTI_" #name;
        SENTI_STATUS_MAP(SENTI__STATUS_NAME)
#undef SENTI__STATUS_NAME
    }
    return "SENTI_UNKNOWN";
}

int senti__err(char *err, size_t err_size, int status, const char *fmt, ...) {
    if (err && err_size) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, err_size, fmt, ap);
        va_end(ap);
    }
    return status;
}
