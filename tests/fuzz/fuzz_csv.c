/* fuzz_csv.c - libFuzzer target for the csv format (tests/fuzz/format-harness.h). */
#include "format-harness.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return kt_fuzz_format(&kt_format_csv, data, size);
}
