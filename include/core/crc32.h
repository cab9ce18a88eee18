/* crc32: the CRC-32 of zlib and PNG (IEEE 802.3, reflected polynomial
 * 0xEDB88320), so that Python's zlib.crc32 gives the same number.
 * crc32_update(0, buf, n) is the CRC of buf; feed pieces in order. */
#ifndef AIF_CRC32_H
#define AIF_CRC32_H
#include <stddef.h>
#include <stdint.h>

uint32_t crc32_update(uint32_t crc, const void *buf, size_t n);

#endif
