/* Unit tests for crc32: the standard check value, the empty string, and
 * pieces fed in order giving the CRC of the whole (what the store relies on
 * to checksum a run dataset by dataset). */
#include <string.h>
#include "core/crc32.h"
#include "unit.h"

static void check_value(void) {
    /* The CRC-32 catalogue's check: "123456789" -> 0xCBF43926 (zlib.crc32). */
    CHECK(crc32_update(0, "123456789", 9) == 0xCBF43926u);
    CHECK(crc32_update(0, "", 0) == 0);
    CHECK(crc32_update(0, "a", 1) == 0xE8B7BE43u);
}

static void pieces(void) {
    unsigned char buf[1000];
    for (int i = 0; i < 1000; i++) buf[i] = (unsigned char)(i * 37 + 11);
    uint32_t whole = crc32_update(0, buf, sizeof buf), c = 0;
    for (size_t o = 0; o < sizeof buf; o += 77) c = crc32_update(c, buf + o, o + 77 > sizeof buf ? sizeof buf - o : 77);
    CHECK(c == whole);
    buf[500] ^= 1;   /* one flipped bit changes it */
    CHECK(crc32_update(0, buf, sizeof buf) != whole);
}

static const unit_test_t tests[] = {
    {"check_value", check_value},
    {"pieces", pieces},
    {0, 0},
};

int main(int argc, char **argv) { return unit_main(argc, argv, tests); }
