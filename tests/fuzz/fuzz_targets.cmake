# Fuzz targets, included from tests/fuzz/CMakeLists.txt (and, until that directory is added by tests/CMakeLists.txt,
# from tests/unit/compose/CMakeLists.txt): whichever includes it first defines the targets.
if(TARGET fuzz_compose_loader)
  return()
endif()

set(BERTH_FUZZ_SECONDS 20 CACHE STRING "How long each fuzz test runs under CTest, in seconds")
set(_fuzz_dir "${PROJECT_SOURCE_DIR}/tests/fuzz")

# The self-contained mutation fuzzer: works with GCC, runs for a bounded time as a CTest test, fails on a crash, a
# hang or runaway memory (and saves the input it failed on in its working directory).
add_executable(fuzz_compose_loader "${_fuzz_dir}/compose_loader_fuzz.cpp")
target_link_libraries(fuzz_compose_loader PRIVATE berth_compose)
add_test(NAME fuzz_compose_loader
         COMMAND fuzz_compose_loader --seconds ${BERTH_FUZZ_SECONDS}
                 --corpus "${PROJECT_SOURCE_DIR}/tests/fixtures/compose")
math(EXPR _fuzz_timeout "${BERTH_FUZZ_SECONDS} + 120")
set_tests_properties(fuzz_compose_loader PROPERTIES LABELS "fuzz" TIMEOUT ${_fuzz_timeout})

# With clang, the same target for libFuzzer (coverage-guided; run by hand):
#   build/<dir>/tests/fuzz/fuzz_compose_loader_libfuzzer -max_total_time=300 tests/fixtures/compose
if(CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
  add_executable(fuzz_compose_loader_libfuzzer "${_fuzz_dir}/compose_loader_fuzz.cpp")
  target_compile_definitions(fuzz_compose_loader_libfuzzer PRIVATE BERTH_LIBFUZZER)
  target_compile_options(fuzz_compose_loader_libfuzzer PRIVATE -fsanitize=fuzzer)
  target_link_options(fuzz_compose_loader_libfuzzer PRIVATE -fsanitize=fuzzer)
  target_link_libraries(fuzz_compose_loader_libfuzzer PRIVATE berth_compose)
endif()
