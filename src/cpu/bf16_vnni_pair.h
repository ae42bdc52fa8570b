// Two float32 rows of 16 -> 32 bf16 in VNNI pair order (row r, row r + 1 interleaved per column), rounded to nearest
// even: the store that feeds AMX B tiles, shared by the GEMM epilogue and the bhb sampler's first layer.
#pragma once
#include <immintrin.h>

#include <cstdint>

namespace specnet::cpu::detail {

__attribute__((target("avx512f,avx512bw,avx512bf16"))) inline void store_vnni_pair(std::uint16_t* out, __m512 row0,
                                                                                   __m512 row1) {
  alignas(64) static const std::uint16_t kInterleave[32] = {0, 16, 1, 17, 2,  18, 3,  19, 4,  20, 5,  21, 6,  22, 7,  23,
                                                           8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31};
  const __m512bh p = _mm512_cvtne2ps_pbh(row1, row0);  // lanes 0-15: row0, 16-31: row1
  _mm512_storeu_si512(out, _mm512_permutexvar_epi16(_mm512_load_si512(kInterleave), reinterpret_cast<const __m512i&>(p)));
}

}  // namespace specnet::cpu::detail
