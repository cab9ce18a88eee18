/* unit_sha256: FIPS 180-4 SHA-256 (sha256.h) against the FIPS 180-2 / NIST
 * examples and the padding boundaries (one vs two final blocks). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "core/sha256.h"
#include "unit.h"

static void sha256_vectors(void) {
    char hex[65];
    /* FIPS 180-2 appendix B / NIST CAVS examples. */
    sha256_hex("", 0, hex);
    CHECK(!strcmp(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"));
    sha256_hex("abc", 3, hex);
    CHECK(!strcmp(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"));
    const char *m448 = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    sha256_hex(m448, strlen(m448), hex);
    CHECK(!strcmp(hex, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"));
    const char *m896 = "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmno"
                       "ijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu";
    sha256_hex(m896, strlen(m896), hex);
    CHECK(!strcmp(hex, "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1"));
    char *mil = malloc(1000000);
    CHECK(mil);
    memset(mil, 'a', 1000000);
    sha256_hex(mil, 1000000, hex);
    free(mil);
    CHECK(!strcmp(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"));
    /* Padding boundaries (one vs two final blocks); values from Python's hashlib. */
    static const struct { int n; const char *hex; } pad[] = {
        {55, "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318"},
        {56, "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a"},
        {63, "7d3e74a05d7db15bce4ad9ec0658ea98e3f06eeecf16b4c6fff2da457ddc2f34"},
        {64, "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb"},
        {119, "31eba51c313a5c08226adf18d4a359cfdfd8d2e816b13f4af952f7ea6584dcfb"},
        {120, "2f3d335432c70b580af0e8e1b3674a7c020d683aa5f73aaaedfdc55af904c21c"},
    };
    char as[128];
    memset(as, 'a', sizeof as);
    for (size_t i = 0; i < sizeof pad / sizeof pad[0]; i++) {
        sha256_hex(as, (size_t)pad[i].n, hex);
        CHECK_MSG(!strcmp(hex, pad[i].hex), "length %d: %s", pad[i].n, hex);
    }
    uint8_t raw[32];
    sha256("abc", 3, raw);
    CHECK(raw[0] == 0xba && raw[31] == 0xad);
}

static const unit_test_t tests[] = {
    {"sha256_vectors", sha256_vectors},
    {0, 0},
};

int main(int argc, char **argv) { return unit_main(argc, argv, tests); }
