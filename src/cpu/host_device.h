// SPECNET_HD marks small header functions shared by the CPU kernels and the CUDA kernels (src/cuda) so that one
// formula serves both backends; it is empty for the host compiler.
#pragma once
#if defined(__CUDACC__)
#define SPECNET_HD __host__ __device__
#else
#define SPECNET_HD
#endif
