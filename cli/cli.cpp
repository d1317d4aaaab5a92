#include "cli/cli.h"

#include <cstdio>

namespace berth::cli {

int main(int, char**) {
  std::puts("berth");
  return 0;
}

}  // namespace berth::cli
