// Shared by the libFuzzer harnesses: run a reader on fuzz input and accept only specnet::Error as a failure
// mode; a crash, sanitizer report, leak or any other exception is a bug for libFuzzer to report.
#pragma once
#include <cstdlib>
#include <exception>

#include "specnet/error.h"

namespace specnet::fuzz {

template <typename F>
void expect_only_errors(F&& f) {
  try {
    f();
  } catch (const specnet::Error&) {
    // The documented outcome for malformed input.
  }
}

}  // namespace specnet::fuzz

// CFITSIO sizes some buffers from header values (e.g. a corrupt NAXISn) and handles a failed calloc as an
// error; ASan would abort on the request itself, so let it return null as glibc does. Each harness is its own
// program, so each defines this once by including this header.
extern "C" const char* __asan_default_options() { return "allocator_may_return_null=1"; }
