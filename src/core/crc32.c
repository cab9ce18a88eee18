/* crc32: zlib's CRC-32, byte-wise with a 256-entry table (include/core/crc32.h). */
#include "core/crc32.h"

static uint32_t table[256];
static int have_table = 0;

static void make_table(void) {
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++) c = c & 1 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        table[i] = c;
    }
    have_table = 1;
}

uint32_t crc32_update(uint32_t crc, const void *buf, size_t n) {
    if (!have_table) make_table();
    const unsigned char *p = buf;
    uint32_t c = crc ^ 0xFFFFFFFFu;
    for (size_t i = 0; i < n; i++) c = table[(c ^ p[i]) & 0xFF] ^ (c >> 8);
    return c ^ 0xFFFFFFFFu;
}
