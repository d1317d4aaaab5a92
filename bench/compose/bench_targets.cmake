# The compose loader's benchmark (see bench/compose/RESULTS.md). Included from bench/compose/CMakeLists.txt and, until
# that directory is added to the build, from tests/unit/compose/CMakeLists.txt; whichever comes first defines it.
if(TARGET bench_compose_load)
  return()
endif()
add_executable(bench_compose_load "${PROJECT_SOURCE_DIR}/bench/compose/load_bench.cpp")
target_link_libraries(bench_compose_load PRIVATE berth_compose)
