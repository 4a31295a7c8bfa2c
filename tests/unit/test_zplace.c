/* test_zplace.c — zplace_slot computes the hash ISA-L's crc32 instruction does, and
 * zplace_map hands out zeroed, writable, distinct mappings, all of slot 0. A build
 * without ISA-L has no zplace and checks nothing here. */
#include <stdint.h>
#include <string.h>

#include "testhelp.h"
#include "zplace.h"

#if LR_HAVE_ISAL
/* Windows and their slots as the crc32 instruction (_mm_crc32_u32 with seed 0, masked to
 * 13 bits) gave them; 0x14a30 is the window whose slot clashed with a ranked.csv member's
 * first four bytes, "80.c". */
static void test_slot(void) {
  TEST_EQ_INT(zplace_slot((uintptr_t)0x14a30 << 16), 4560);
  TEST_EQ_INT(zplace_slot((uintptr_t)0x10fe2 << 16), 777);
  TEST_EQ_INT(zplace_slot((uintptr_t)0x164fa << 16), 5289);
  TEST_EQ_INT(zplace_slot((uintptr_t)0x1e38c << 16), 4000);
  uint32_t eighty_dot_c;
  memcpy(&eighty_dot_c, "80.c", 4);
  TEST_EQ_INT(zplace_slot((uintptr_t)eighty_dot_c << 16), 4560);
  /* Only the 64 KiB window counts, and only its low 32 bits. */
  TEST_EQ_INT(zplace_slot(((uintptr_t)0x14a30 << 16) + 0xffff), 4560);
  TEST_EQ_INT(zplace_slot(((uintptr_t)1 << 48) | ((uintptr_t)0x14a30 << 16)), 4560);
}

#define N_MAPS 40

static void test_map(void) {
  size_t bytes = 400 * 1024 + 123;
  unsigned char *maps[N_MAPS];
  for (int i = 0; i < N_MAPS; i++) {
    maps[i] = zplace_map(bytes);
    TEST_CHECK(maps[i] != NULL);
    if (maps[i] == NULL) return;
    TEST_EQ_INT(zplace_slot((uintptr_t)maps[i]), 0);
    TEST_EQ_INT((uintptr_t)maps[i] & 0xffff, 0);
    TEST_CHECK(maps[i][0] == 0 && maps[i][bytes - 1] == 0);
    memset(maps[i], i + 1, bytes);
  }
  /* Each is its own memory: nothing written to one shows in another. */
  for (int i = 0; i < N_MAPS; i++) {
    TEST_CHECK(maps[i][0] == i + 1 && maps[i][bytes - 1] == i + 1);
    int distinct = 1;
    for (int j = 0; j < i; j++) distinct &= maps[i] != maps[j];
    TEST_CHECK(distinct);
  }
  for (int i = 0; i < N_MAPS; i++) zplace_unmap(maps[i], bytes);
}

#endif

int main(void) {
#if LR_HAVE_ISAL
  test_slot();
  test_map();
#endif
  return TEST_REPORT();
}
