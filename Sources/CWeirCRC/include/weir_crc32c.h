#ifndef WEIR_CRC32C_H
#define WEIR_CRC32C_H

#include <stddef.h>
#include <stdint.h>

/// Extends a CRC-32C (Castagnoli) over `length` bytes. Start with crc = 0 for a fresh checksum;
/// the pre- and post-inversion are applied inside, so chained calls compose:
/// weir_crc32c(weir_crc32c(0, a, n), b, m) == crc of a||b.
/// Uses the SSE4.2 crc32 instruction when the CPU has it, else a slicing-by-8 table.
uint32_t weir_crc32c(uint32_t crc, const void *bytes, size_t length);

/// 1 when the hardware path is in use (for benchmarks and diagnostics).
int weir_crc32c_hardware(void);

#endif
